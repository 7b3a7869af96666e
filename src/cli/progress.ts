import { SingleBar } from 'cli-progress';
import type { CliIo } from './io';

/**
 * The training progress bar (cli-progress) on an interactive stderr: epoch, batch, samples/s, ETA, mean
 * −log Z and validation error of the last epoch. Nothing is drawn when stderr is not a terminal.
 */
export class TrainProgress {
  private bar: SingleBar | null = null;
  private readonly t0 = performance.now();
  private samples = 0;
  private last = { nlz: '-', val: '-' };
  private total = 0;

  constructor(
    private readonly io: CliIo,
    private readonly epochs: number,
  ) {}

  get active(): boolean {
    return this.bar !== null;
  }

  /** Start the bar for `batches` minibatches per epoch from epoch `firstEpoch` (1-based) on. */
  start(batchesPerEpoch: number, firstEpoch: number, batchesDone = 0): void {
    const stream = this.io.stderrStream;
    if (!this.io.isTTY || !stream) return;
    this.total = batchesPerEpoch;
    this.bar = new SingleBar({
      stream,
      format:
        'epoch {epoch}/{epochs} [{bar}] batch {value}/{total} | {speed} samples/s | ETA {eta_formatted} | -logZ {nlz} | val err {val}',
      barsize: 24,
      hideCursor: false,
      clearOnComplete: true,
      fps: 8,
      etaBuffer: 50,
    });
    this.bar.start(batchesPerEpoch, batchesDone, { epoch: firstEpoch, epochs: this.epochs, speed: '-', nlz: this.last.nlz, val: this.last.val });
  }

  batch(info: { epoch: number; batch: number; batches: number; samples: number }, offset = 0, sampleSize = 1): void {
    if (!this.bar) return;
    this.samples += sampleSize;
    if (info.batches + offset !== this.total) {
      this.total = info.batches + offset;
      this.bar.setTotal(this.total);
    }
    const s = (performance.now() - this.t0) / 1000;
    this.bar.update(info.batch + offset, { epoch: info.epoch, epochs: this.epochs, speed: s > 0 ? Math.round(this.samples / s) : '-', nlz: this.last.nlz, val: this.last.val });
  }

  epoch(r: { epoch: number; meanNegLogZ: number; validationErrorP: number; validationErrorD: number }): void {
    this.last = {
      nlz: r.meanNegLogZ.toFixed(4),
      val: Number.isNaN(r.validationErrorP) ? '-' : `P ${(100 * r.validationErrorP).toFixed(2)}% D ${(100 * r.validationErrorD).toFixed(2)}%`,
    };
    if (this.bar) this.bar.update(0, { epoch: Math.min(r.epoch + 1, this.epochs), epochs: this.epochs, nlz: this.last.nlz, val: this.last.val });
  }

  stop(): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
    }
  }
}
