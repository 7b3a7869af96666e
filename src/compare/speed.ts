/**
 * The STE-vs-PyTorch epoch timing of a comparison: our STE epoch (./runs.ts steEpochSpeed) and the PyTorch
 * reference's (./anchor.ts), each in a fresh process when the worker is available, interleaved round by round
 * (the order alternates) so that both sides see the same background load.
 */
import { DEFAULT_PYTHON, defaultAnchorScript, torchAvailable, torchEpochSpeed, type SpeedComparison } from './anchor';
import { inChild } from './child';
import { steEpochSpeed } from './runs';
import { median } from './stats';

/** The options of the timing (those of ComparisonOptions). */
export interface SpeedOptions {
  speedRounds?: number;
  speedRows?: number;
  anchorScript?: string;
  python?: string;
  signal?: AbortSignal;
}

/** The progress events of the timing (a part of ComparisonProgress). */
export type SpeedProgress =
  | { type: 'speed'; round: number; rounds: number; oursSamplesPerSecond: number; pytorchSamplesPerSecond: number | null }
  | { type: 'note'; message: string };

/**
 * Time both sides for `speedRounds` rounds (default 3; quick 1); `script` is the worker (null: ours in this
 * process). A failing timing is reported as `{ skipped }`, not thrown.
 */
export async function speedComparison(
  o: SpeedOptions,
  quick: boolean,
  script: string | null,
  onProgress: (p: SpeedProgress) => void,
): Promise<SpeedComparison | { skipped: string }> {
  const python = o.python ?? DEFAULT_PYTHON;
  const anchor = o.anchorScript ?? defaultAnchorScript();
  const torch = torchAvailable(python, anchor, o.anchorScript !== undefined || Boolean(process.env.EBP_BNN_STE_ANCHOR));
  if (!torch.ok) onProgress({ type: 'note', message: `PyTorch speed comparison skipped: ${torch.reason}` });
  const rounds = Math.max(1, Math.floor(o.speedRounds ?? (quick ? 1 : 3)));
  const rows = Math.max(100, Math.floor(o.speedRows ?? 10000));
  const ours: number[] = [];
  const pt: number[] = [];
  let backend = 'unknown';
  for (let r = 0; r < rounds && !o.signal?.aborted; r++) {
    const steps: (() => Promise<void>)[] = [
      async () => {
        const res = script
          ? await inChild<{ samplesPerSecond: number; backend: string }>(script, { type: 'speed', repeats: 2, rows }, () => {}, o.signal)
          : steEpochSpeed(2, rows);
        ours.push(res.samplesPerSecond);
        backend = res.backend;
      },
      async () => {
        if (torch.ok) pt.push(await torchEpochSpeed(python, anchor as string, 2, o.signal, rows));
      },
    ];
    if (r % 2 === 1) steps.reverse();
    try {
      for (const s of steps) await s();
    } catch (e) {
      if (o.signal?.aborted) break;
      return { skipped: `timing failed: ${(e as Error).message}` };
    }
    onProgress({ type: 'speed', round: r + 1, rounds, oursSamplesPerSecond: ours[r], pytorchSamplesPerSecond: torch.ok ? pt[r] : null });
  }
  if (ours.length === 0) return { skipped: 'interrupted' };
  const n = Math.min(ours.length, pt.length);
  const ratios = torch.ok ? Array.from({ length: n }, (_, i) => pt[i] / ours[i]) : [];
  const oursMed = median(ours);
  const ptMed = torch.ok && pt.length ? median(pt) : null;
  return {
    net: '784-200-10',
    batch: 100,
    threads: 1,
    data: `${rows} rows of uniform [0,1) pixels with random labels (the reference timing mode), batch norm, squared hinge, Adam; warm-up epoch on 1,000 rows; best of 2 epochs per process; each side in a fresh process, interleaved round by round`,
    rounds: ours.length,
    oursSamplesPerSecond: oursMed,
    oursRounds: ours,
    rows,
    oursSecondsPerEpoch: rows / oursMed,
    oursBackend: backend,
    pytorchSamplesPerSecond: ptMed,
    pytorchRounds: torch.ok ? pt : null,
    pytorchSecondsPerEpoch: ptMed === null ? null : rows / ptMed,
    timeRatio: ratios.length ? median(ratios) : null,
    pytorch: torch.ok ? torch.info : null,
    ...(torch.ok ? {} : { skipped: torch.reason }),
    command: torch.ok ? `${python} ${anchor} --threads 1 _time_child --sizes 784-200-10 --batch 100 --n-train ${rows} --repeats 2` : '',
  };
}
