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
}

export type ToWorker = TrainRequest | { type: 'stop' };

export type FromWorker =
  | { type: 'ready'; backend: 'wasm' | 'js' }
  | { type: 'data'; trainRows: number; testRows: number; inputs: number; classes: string[] }
  | { type: 'progress'; epoch: number; fraction: number }
  /** Test error (EBP-D and EBP-P) at `at` epochs done, fractional mid-epoch. */
  | { type: 'point'; at: number; errorD: number; errorP: number }
  | { type: 'done'; bytes: ArrayBuffer; fileName: string; epochs: number; interrupted: boolean; errorD: number; errorP: number; seconds: number }
  | { type: 'error'; message: string };
