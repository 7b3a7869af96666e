/** Messages between the page and the training worker. */

export interface TrainRequest {
  type: 'train';
  /** Training CSV text; `test` is a separate test CSV, else `validationFraction` of the rows are held out. */
  train: { name: string; text: string };
  test?: { name: string; text: string };
  validationFraction: number;
  label: string;
  hidden: number;
  epochs: number;
  batchSize: number;
  seed: number;
  /** Threads to train on; the worker uses fewer where the page is not cross-origin isolated (same bytes). */
  threads: number;
}

export type ToWorker = TrainRequest | { type: 'stop' };

export type FromWorker =
  /** `threads`: what training may use in this worker; `reason` says why it is 1. */
  | { type: 'ready'; backend: 'wasm' | 'js'; threads: number; reason?: string }
  | { type: 'data'; trainRows: number; testRows: number; inputs: number; classes: string[] }
  | { type: 'progress'; epoch: number; fraction: number }
  /** Test error (EBP-D and EBP-P) at `at` epochs done, fractional mid-epoch. */
  | { type: 'point'; at: number; errorD: number; errorP: number }
  /** `threads`: what the minibatches ran on (1 also when a step is too small to split). */
  | { type: 'done'; bytes: ArrayBuffer; fileName: string; epochs: number; interrupted: boolean; errorD: number; errorP: number; seconds: number; threads: number }
  | { type: 'error'; message: string };
