import * as path from 'path';
import type { Delimiter } from '../../data/csv-cells';
import type { CliIo } from '../io';
import { MetricsAccumulator, type MetricsReport } from '../../eval/metrics';
import { loadTrainedModel } from '../../node/model-file';
import type { PredictorMode } from '../../model/predictor';
import { chooseMode, modelThreadedPredictor } from '../predictor';
import { refuseSwappedArguments } from '../paths';
import { streamEncoded } from './rows';
import { imputationNote } from '../format';
import { csvSource, shownName } from '../stdin';

export interface EvalArgs {
  model: string;
  file: string;
  /** Default: the mode the model validated best in (recorded at training), else deterministic. */
  mode?: PredictorMode;
  members: number;
  seed: number;
  /** Threads of packed inference (undefined: the default). */
  threads?: number;
  json: boolean;
  delimiter?: Delimiter;
}

function fmt(x: number | null, digits = 4): string {
  return x === null || Number.isNaN(x) ? '-' : x.toFixed(digits);
}

/** `ebp eval model.ebpb test.csv`: error, confusion matrix and (with probabilities) NLL, Brier score, ECE. */
export async function evalCommand(args: EvalArgs, io: CliIo): Promise<number> {
  refuseSwappedArguments('eval', args.model, args.file);
  const model = loadTrainedModel(path.resolve(io.cwd, args.model), args.model);
  const { mode, note, warning } = chooseMode(model, args.mode);
  if (warning) io.stderr(warning + '\n');
  const predictor = modelThreadedPredictor(model, mode, { members: args.members, seed: args.seed, threads: args.threads });
  const classes = model.meta.preprocess.label.classes;
  const acc = new MetricsAccumulator(classes);
  const t0 = performance.now();
  const res = await streamEncoded(model, csvSource(io, args.file), shownName(args.file), { requireLabel: true, delimiter: args.delimiter, io }, async (b) => {
    const r = await predictor.run(b.X, b.rows);
    acc.add(b.labels, r.classes, r.proba, b.rows);
  });
  if (res.interrupted) {
    io.stderr(`interrupted after ${res.rows} rows; no result.\n`);
    return 130;
  }
  // Said once the data is read, so that a failed run prints its error alone.
  if (note && !args.json) io.stderr(note + '\n');
  const rep = acc.report();
  const seconds = (performance.now() - t0) / 1000;
  const imputed = imputationNote(res.imputed, model.meta.preprocess.impute, shownName(args.file));
  if (imputed && !args.json) io.stderr(imputed + '\n');
  if (res.unknownCategories > 0) io.stderr(`warning: ${res.unknownCategories} cells hold categories not seen in training (encoded as no category).\n`);
  if (args.json) {
    io.stdout(
      JSON.stringify({
        model: args.model,
        file: args.file,
        mode,
        modeFrom: args.mode !== undefined ? 'flag' : note ? 'model' : 'default',
        ...(mode === 'ensemble' ? { members: args.members, seed: args.seed } : {}),
        rows: rep.rows,
        errors: rep.errors,
        error: rep.error,
        accuracy: rep.accuracy,
        nll: rep.nll,
        brier: rep.brier,
        ece: rep.ece,
        classes: rep.classes,
        confusion: rep.confusion,
        seconds: Math.round(seconds * 1000) / 1000,
      }) + '\n',
    );
    return 0;
  }
  const lines = [
    `${shownName(args.file)}: ${rep.rows} rows, mode ${mode}${mode === 'ensemble' ? ` (${args.members} members, seed ${args.seed})` : ''}`,
    `error ${(100 * rep.error).toFixed(2)}% (${rep.errors} of ${rep.rows}), accuracy ${(100 * rep.accuracy).toFixed(2)}%`,
  ];
  if (rep.nll !== null) lines.push(`NLL ${fmt(rep.nll)}  Brier ${fmt(rep.brier)}  ECE ${fmt(rep.ece)}`);
  else lines.push('NLL, Brier and ECE need probabilities: use --mode probabilistic or --mode ensemble.');
  lines.push('', 'confusion matrix (rows: true class, columns: predicted class)', formatConfusion(rep));
  io.stdout(lines.join('\n') + '\n');
  return 0;
}

/** The confusion matrix as an aligned text table (rows: true class, columns: predicted class). */
export function formatConfusion(r: MetricsReport): string {
  const names = r.classes.map((c) => (c.length > 12 ? c.slice(0, 11) + '…' : c));
  const w = Math.max(4, ...names.map((s) => s.length), ...r.confusion.flat().map((x) => String(x).length));
  const lw = Math.max('true \\ predicted'.length, ...names.map((s) => s.length));
  const lines = ['true \\ predicted'.padEnd(lw) + '  ' + names.map((s) => s.padStart(w)).join(' ')];
  r.confusion.forEach((row, t) => lines.push(names[t].padEnd(lw) + '  ' + row.map((x) => String(x).padStart(w)).join(' ')));
  return lines.join('\n');
}
