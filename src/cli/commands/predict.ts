import * as path from 'path';
import { ArgumentError } from '../../errors';
import type { Delimiter } from '../../data/csv-cells';
import { AtomicWriter, checkWritable } from '../../node/atomic';
import { imputationNote, plural } from '../format';
import type { CliIo } from '../io';
import { loadTrainedModel } from '../../node/model-file';
import type { PredictorMode } from '../../model/predictor';
import { chooseMode, modelThreadedPredictor } from '../predictor';
import { refuseInputAsOutput, refuseSwappedArguments } from '../paths';
import { RowErrors, type OnRowError } from '../row-errors';
import { streamEncoded } from './rows';
import { csvSource, shownName } from '../stdin';

export interface PredictArgs {
  model: string;
  file: string;
  out?: string;
  proba: boolean;
  /** Default: the mode the model validated best in (recorded at training), else deterministic; probabilistic rather than deterministic with --proba. */
  mode?: PredictorMode;
  members: number;
  /** Threads of packed inference (undefined: the default). */
  threads?: number;
  seed: number;
  force: boolean;
  quiet: boolean;
  delimiter?: Delimiter;
  /** A row that cannot be encoded: stop (default), leave it out, or write an empty prediction (src/cli/row-errors.ts). */
  onError?: OnRowError;
}

/** A CSV field, quoted when needed (RFC 4180). */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * `ebp predict model.ebpb input.csv`: stream the rows, write one line per row with the predicted class name
 * (column `prediction`) and with --proba one probability column `p_<class>` per class. The label column may
 * be absent. With --out the file appears only when complete.
 */
export async function predictCommand(args: PredictArgs, io: CliIo): Promise<number> {
  refuseSwappedArguments('predict', args.model, args.file);
  if (args.proba && (args.mode === 'deterministic' || args.mode === 'map')) {
    throw new ArgumentError(`--proba needs probabilities: use --mode probabilistic or --mode ensemble (${args.mode} mode gives classes only).`);
  }
  // Refuse to clobber before loading the model or building an ensemble (seconds for a large one).
  if (args.out !== undefined) {
    refuseInputAsOutput({ path: path.resolve(io.cwd, args.out), shown: args.out, flag: '--out' }, [
      { path: path.resolve(io.cwd, args.model), shown: args.model, what: 'the model' },
      { path: path.resolve(io.cwd, args.file), shown: args.file, what: 'the input file' },
    ]);
    checkWritable(path.resolve(io.cwd, args.out), args.force, 'output file', args.out);
  }
  const model = loadTrainedModel(path.resolve(io.cwd, args.model), args.model);
  const { mode, note, warning } = chooseMode(model, args.mode, args.proba);
  if (warning) io.stderr(warning + '\n');
  const predictor = modelThreadedPredictor(model, mode, { members: args.members, seed: args.seed, threads: args.threads });
  const classes = model.meta.preprocess.label.classes;
  const names = classes.map(csvField);
  const writer = args.out !== undefined ? new AtomicWriter(path.resolve(io.cwd, args.out), { force: args.force, what: 'output file', shownAs: args.out }) : null;
  const emit = (s: string) => (writer ? writer.write(s) : io.stdout(s));
  const rowErrors = new RowErrors(args.onError ?? 'fail', io);
  const emptyLine = args.proba ? ','.repeat(classes.length) : '';
  let res: Awaited<ReturnType<typeof streamEncoded>>;
  try {
    let headerDone = false;
    res = await streamEncoded(
      model,
      csvSource(io, args.file),
      shownName(args.file),
      { requireLabel: false, delimiter: args.delimiter, io, rowErrors },
      async (b) => {
        if (!headerDone) {
          emit(args.proba ? ['prediction', ...classes.map((c) => csvField(`p_${c}`))].join(',') + '\n' : 'prediction\n');
          headerDone = true;
        }
        const r = await predictor.run(b.X, b.rows);
        const K = classes.length;
        const parts: string[] = [];
        for (let n = 0; n < b.rows; n++) {
          if (b.empty[n]) {
            parts.push(emptyLine);
            continue;
          }
          let line = names[r.classes[n]];
          if (args.proba && r.proba) {
            for (let k = 0; k < K; k++) line += ',' + Number(r.proba[n * K + k].toPrecision(6));
          }
          parts.push(line);
        }
        emit(parts.join('\n') + '\n');
      },
    );
    if (res.interrupted) {
      writer?.abort();
      io.stderr(`interrupted after ${res.rows} rows; ${writer ? `${args.out} was not written` : 'output incomplete'}.\n`);
      return 130;
    }
    writer?.commit();
  } catch (e) {
    writer?.abort();
    throw e;
  }
  const bad = rowErrors.summary();
  if (bad) io.stderr(bad + '\n');
  const imputed = imputationNote(res.imputed, model.meta.preprocess.impute, shownName(args.file));
  if (imputed && !args.quiet) io.stderr(imputed + '\n');
  if (res.unknownCategories > 0) io.stderr(`warning: ${res.unknownCategories} cells hold categories not seen in training (encoded as no category).\n`);
  // Said once the rows are done, so that a failed run prints its error alone.
  if (note && !args.quiet) io.stderr(note + '\n');
  if (!args.quiet && writer) io.stderr(`${plural(res.rows, 'prediction')} (${mode}) written to ${args.out}\n`);
  return 0;
}
