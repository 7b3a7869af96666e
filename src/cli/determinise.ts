import type { Dataset } from '../data/dataset';
import type { PosteriorStore } from '../ebp/posterior';
import type { SteTrainer } from '../ste/trainer';
import { determiniseKept, notDeterminisable, type Determinised } from '../train/determinised';
import type { DeterminisedRecord } from '../train/record';
import { plural, resultPct } from './format';
import type { CliIo } from './io';

/**
 * `ebp train`'s last step for binary EBP weights (unless --no-determinise): progressive determinisation of
 * the kept posterior (src/train/determinised.ts), with a progress line per stage epoch on stderr (none with
 * --json or --quiet) and a line saying what was chosen, or why nothing was.
 */
export function determiniseRun(
  model: PosteriorStore | SteTrainer,
  trainer: 'ebp' | 'ste',
  data: { train: Dataset; validation?: Dataset; holdout?: Dataset; builtin?: boolean },
  o: { seed: number; skip: boolean; io: CliIo; json: boolean; quiet: boolean },
): Determinised | null {
  const say = (s: string) => {
    if (!o.json && !o.quiet) o.io.stderr(s + '\n');
  };
  if (o.skip) return null;
  const why = notDeterminisable(model, trainer);
  if (why !== null) {
    if (trainer === 'ebp') say(`no determinised network: ${why}.`);
    return null;
  }
  const choices = data.validation ? { rows: data.validation, kind: 'validation' as const } : data.holdout ? { rows: data.holdout, kind: 'holdout' as const } : null;
  if (choices === null) {
    say(
      data.builtin
        ? 'no determinised network: too few training rows to hold any out for its choices; the deterministic mode is plain EBP-D.'
        : 'no determinised network: its choices need validation rows EBP did not train on (--split 0.1 or --test FILE); the deterministic mode is plain EBP-D.',
    );
    return null;
  }
  const where = choices.kind === 'validation' ? 'the validation rows' : `the ${choices.rows.labels.length} training rows held out for it`;
  say(`determinise: decimation, then progressive determinisation, the better kept; every choice on ${where} (--no-determinise skips this)`);
  const det = determiniseKept(model as PosteriorStore, data.train, choices, {
    seed: o.seed,
    onEpoch: (e) => say(`  ${e.method === 'decimate' ? `decimate: layer ${e.fixed} at ${(100 * (e.share ?? 1)).toFixed(1)}%, round ${e.epoch}` : `progressive: ${plural(e.fixed, 'layer')} fixed, epoch ${e.epoch}`}: validation error ${resultPct(e.validationError)} (EBP-P ${resultPct(e.validationErrorP)})`),
  });
  say(determinisedLine(det.record));
  return det;
}

/** What the model's deterministic network is, in one line. */
export function determinisedLine(r: DeterminisedRecord): string {
  const what = r.layersFixed === 0 ? 'plain EBP-D (no fixed layer validated better)'
    : r.method === 'decimate' ? `decimation, layer ${r.layersFixed} at ${(100 * (r.share ?? 1)).toFixed(1)}% after round ${r.epoch}`
      : `${plural(r.layersFixed, 'hidden layer')} fixed, ${plural(r.epoch, 'epoch')} of EBP above`;
  const on = r.choices.kind === 'validation' ? 'validation rows' : `${r.choices.rows} held-out training rows`;
  return `determinised network: ${what}; error ${resultPct(r.validationError)} on the ${on} (plain EBP-D ${resultPct(r.plainErrorD)}).`;
}
