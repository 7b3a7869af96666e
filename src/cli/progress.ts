import { SingleBar } from 'cli-progress';
import { formatLoss } from './format';
import type { CliIo } from './io';

/**
 * The training progress bar (cli-progress) on an interactive stderr: epoch, batch, samples/s, ETA, the loss
 * (EBP: mean −log Z; STE: mean training loss) and validation error of the last epoch. Nothing is drawn when
 * stderr is not a terminal.
 */
export class TrainProgress {
  private bar: SingleBar | null = null;
  private readonly t0 = performance.now();
  private samples = 0;
  private batchesSeen = 0;
  private last = { nlz: '-', val: '-' };
  private total = 0;

  constructor(
    private readonly io: CliIo,
    private readonly epochs: number,
    /** The name of the loss column: '-logZ' (EBP) or 'loss' (STE). */
    private readonly lossName = '-logZ',
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
        `epoch {epoch}/{epochs} [{bar}] batch {value}/{total} | {speed} samples/s | ETA {etaAll} | ${this.lossName} {nlz} | val err {val}`,
      barsize: 24,
      hideCursor: false,
      clearOnComplete: true,
      fps: 8,
      etaBuffer: 50,
    });
    this.bar.start(batchesPerEpoch, batchesDone, { epoch: firstEpoch, epochs: this.epochs, speed: '-', etaAll: '-', nlz: this.last.nlz, val: this.last.val });
  }

  batch(info: { epoch: number; batch: number; batches: number }, batchSize: number): void {
    if (!this.bar) return;
    this.samples += batchSize;
    this.batchesSeen++;
    if (info.batches !== this.total) {
      this.total = info.batches;
      this.bar.setTotal(this.total);
    }
    const s = (performance.now() - this.t0) / 1000;
    // ETA of the whole run: minibatches left over the rate so far (evaluation time included).
    const left = (this.epochs - info.epoch) * this.total + (this.total - info.batch);
    const eta = s > 0 ? (left * s) / this.batchesSeen : NaN;
    this.bar.update(info.batch, {
      epoch: info.epoch,
      epochs: this.epochs,
      speed: s > 0 ? Math.round(this.samples / s) : '-',
      etaAll: formatSeconds(eta),
      nlz: this.last.nlz,
      val: this.last.val,
    });
  }

  /** After epoch `epoch` (1-based): the loss and the validation error text shown until the next one. */
  epochDone(epoch: number, loss: number, val: string): void {
    this.last = { nlz: formatLoss(loss), val };
    if (this.bar) this.bar.update(0, { epoch: Math.min(epoch + 1, this.epochs), epochs: this.epochs, nlz: this.last.nlz, val: this.last.val });
  }

  stop(): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
    }
  }
}

/** 75 → "1m15s", 3725 → "1h02m". */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '-';
  const t = Math.round(s);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`;
}
