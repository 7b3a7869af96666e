import * as path from 'path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ArgumentError, EbpError, EXIT_CODES } from '../errors';
import type { CliIo } from './io';
import { BUILTIN_DATASETS, trainBuiltin } from './commands/train';
import { trainCsv } from './commands/train-csv';
import { evalCommand } from './commands/eval';
import { predictCommand } from './commands/predict';
import { inspectCommand } from './commands/inspect';
import { registerCv } from './commands/cv';
import { registerExport } from './commands/export';
import {
  collectColumns, csvTrainSettings, flagName, parseDelimiterArg, parseFraction, parseNonNegativeInt, parseNumber, parseNumberList,
  parsePositiveInt, parsePositiveNumber, parseSeeds, parseSizes, parseThreads,
} from './flags';
import { PREDICTOR_MODES, type PredictorMode } from '../model/predictor';
import type { WeightsName } from '../train/record';
import type { Delimiter } from '../data/csv-cells';
import { ON_ROW_ERROR, type OnRowError } from './row-errors';

const VERSION = '0.1.0';

const EXIT_HELP = `
Exit codes:
  0    success
  1    usage: unknown flag, bad option value, output exists without --force
  2    data: missing or unreadable CSV, malformed CSV (file, line and column are given); an output that cannot be written
  3    model file: missing, truncated, corrupt, newer format version; merge shards that do not fit the base
  4    numeric failure: training diverged (infinite -log Z, NaN or infinity in the posterior)
  70   internal error (a bug: please report it; --debug prints the stack trace)
  130  interrupted (Ctrl-C); train writes a checkpoint first
`;

/** CSV-training options that make no sense with --dataset. */
const CSV_ONLY = [
  'test', 'split', 'label', 'trainer', 'lrStart', 'lrEnd', 'batchNorm', 'loss', 'standardize', 'binarize', 'categorical', 'drop', 'impute', 'delimiter',
  'checkpointEvery', 'resume', 'prior', 'allowUnfinishedPrior',
];

/** The flags eval and predict share: how the loaded model predicts, and how its CSV is read. */
function addPredictionOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--mode <mode>', 'deterministic (the file\'s deterministic network: determinised, or EBP-D), map (EBP-D, most probable weights), probabilistic (EBP-P) or ensemble (sampled networks); default: the mode the model validated best in at training')
        .choices(PREDICTOR_MODES),
    )
    .option('--members <n>', 'networks sampled from the posterior in ensemble mode', parsePositiveInt, 16)
    .option('--seed <n>', 'seed of the ensemble draws', parseNonNegativeInt, 1)
    .option('--threads <n>', 'threads of packed inference, 1 to 256 (default: the available cores, at most 8); same results for any count', parseThreads)
    .option('--delimiter <char>', "field delimiter: ',' ';' or tab (default: detected)", parseDelimiterArg);
}

/** The parsed values of {@link addPredictionOptions}' flags. */
function predictionSettings(opts: Record<string, unknown>) {
  return {
    mode: opts.mode as PredictorMode | undefined,
    members: opts.members as number,
    seed: opts.seed as number,
    threads: opts.threads as number | undefined,
    delimiter: opts.delimiter as Delimiter | undefined,
  };
}

/**
 * Run the `ebp` command line with `argv` (without the node and script names). Returns the exit code:
 * 0 success, 1 usage, 2 data, 3 model file, 4 numeric failure, 130 interrupted.
 */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const debug = argv.includes('--debug');
  const json = argv.includes('--json');
  let code = 0;
  const program = new Command('ebp')
    .description('Expectation Backpropagation for binary neural networks (Soudry, Hubara & Meir 2014).')
    .version(VERSION)
    .option('--debug', 'print stack traces on errors')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .addHelpText(
      'after',
      `
Examples:
  ebp train train.csv --test test.csv --hidden 100 --epochs 10 --out model.ebpb
  ebp eval model.ebpb test.csv --mode probabilistic
  ebp predict model.ebpb new.csv --out predictions.csv --proba
  ebp inspect model.ebpb
  ebp export model.ebpb --out net.ebpb
  ebp train --dataset mnist --hidden 200 --epochs 20 --seed 1
  ebp bench --quick --out-dir results
  ebp train new.csv --prior model.ebpb --out next.ebpb
  ebp merge s0.ebpb s1.ebpb --base round0.ebpb --combine average --out round1.ebpb
${EXIT_HELP}
See docs/cli.md for every flag.`,
    );

  const done = (c: number) => (code = c);
  const train = registerTrain(program, io, done);
  registerCv(program, train, argv, io, done);
  registerEval(program, io, done);
  registerPredict(program, io, done);
  registerInspect(program, io, done);
  registerExport(program, io, done);
  registerMerge(program, io, done);
  registerBench(program, argv, io, done);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    return exitCodeOf(e, io, debug, json);
  }
}

type Done = (code: number) => void;

/** `ebp train`: EBP or STE on a CSV file or a built-in dataset. */
function registerTrain(program: Command, io: CliIo, done: Done): Command {
  return program
    .command('train')
    .description('train a binary network with EBP (or STE) on a CSV file (or a built-in dataset) and write a model file')
    .argument('[train.csv]', 'training data: CSV with a header row; the label column is "label" or the last one')
    .addOption(new Option('--dataset <name>', 'train on a built-in dataset instead of a CSV file').choices(BUILTIN_DATASETS))
    .option('--test <file>', 'validation CSV, evaluated after every epoch')
    .addOption(new Option('--split <fraction>', 'hold out this fraction of the training rows for validation (seeded)').argParser(parseFraction).conflicts('test'))
    .option('--label <name|index>', 'label column: a header name or a 0-based index (negative counts from the end)')
    .option('--hidden <sizes>', 'hidden layer widths, comma separated', parseSizes, [200])
    .addOption(new Option('--weights <kind>', 'weight posterior').choices(['binary', 'gaussian', 'ternary']).default('binary'))
    .option('--epochs <n>', 'passes over the training data', parsePositiveInt, 20)
    .option('--batch <n>', 'minibatch size (EBP sums the increments over it; default 10 for EBP, 100 for STE)', parsePositiveInt)
    .option('--seed <n>', 'seed of the initial field, the data order and --split', parseNonNegativeInt, 1)
    .option('--out <file>', 'model file to write (with --resume X.ckpt: X; with --dataset: only when given)', 'model.ebpb')
    .addOption(new Option('--trainer <name>', 'training algorithm: EBP, or the straight-through-estimator baseline (BNN recipe, Adam)').choices(['ebp', 'ste']).default('ebp'))
    .option('--lr-start <lr>', 'STE: learning rate of the first epoch (default 0.1)', parsePositiveNumber)
    .option('--lr-end <lr>', 'STE: learning rate reached after --epochs epochs, exponential decay per epoch (default lr-start/100)', parsePositiveNumber)
    .option('--no-batch-norm', 'STE: no batch normalisation (a real bias and the 1/sqrt(K+1) scale instead)')
    .addOption(new Option('--loss <name>', 'STE: training loss (default squared-hinge)').choices(['squared-hinge', 'softmax-ce']))
    .addOption(new Option('--standardize', 'scale numeric columns to mean 0, std 1 with the training statistics (the default)').conflicts('binarize'))
    .option('--no-standardize', 'use numeric columns as they are (unscaled columns of very different ranges train poorly)')
    .addOption(new Option('--binarize <threshold>', 'numeric columns become +1 (x >= threshold) or -1').argParser(parseNumber))
    .option('--categorical <columns>', 'one-hot encode these text columns: names or 0-based indices, comma separated, repeatable (a name holding a comma in double quotes: \'"a, b"\')', collectColumns, [] as string[])
    .option('--drop <columns>', 'leave these columns out (ID columns): names or 0-based indices as for --categorical', collectColumns, [] as string[])
    .addOption(new Option('--impute <method>', 'fill missing cells from the training data (default: missing cells are errors)').choices(['mean', 'median']))
    .option('--delimiter <char>', "field delimiter: ',' ';' or tab (default: detected)", parseDelimiterArg)
    .option('--checkpoint-every <n>', 'write a checkpoint (<out>.ckpt) every n epochs', parsePositiveInt, 1)
    .option('--threads <n>', 'EBP: threads a minibatch is split over, 1 to 256 (default: the available cores, at most 8); the same model bytes for any count (STE: one thread)', parseThreads)
    .option('--resume <file>', 'continue from a checkpoint or a model written by train (same data, same seed)')
    .addOption(new Option('--prior <file>', "start from this model's posterior (new data; its network and preprocessing are kept)").conflicts('resume'))
    .option('--allow-unfinished-prior', 'accept a --prior checkpoint of a run that has not finished its epochs')
    .option('--no-determinise', 'binary EBP: ship plain EBP-D as the deterministic network instead of the determinised one (docs/algorithm.md)')
    .option('--force', 'overwrite existing output files')
    .option('--json', 'print one JSON object per epoch and a summary on stdout')
    .option('--quiet', 'print only the final result')
    .addHelpText(
      'after',
      `
Examples:
  ebp train data.csv --split 0.2 --hidden 64 --epochs 10 --out model.ebpb
  ebp train train.csv --test test.csv --label species --categorical color,shape --impute median
  ebp train data.csv --split 0.2 --out model.ebpb --resume model.ebpb.ckpt   # after Ctrl-C or a crash
  ebp train data.csv --split 0.2 --trainer ste --lr-start 0.03 --out ste.ebpb
  ebp train --dataset mnist --hidden 200 --epochs 20 --seed 1 --out mnist.ebpb
  ebp train new.csv --prior old.ebpb --epochs 2 --out new.ebpb                 # continue from old's posterior
`,
    )
    .action(async (file: string | undefined, opts: Record<string, unknown>, cmd: Command) => {
      const explicit = new Set(Object.keys(opts).filter((k) => cmd.getOptionValueSource(k) === 'cli'));
      if (opts.dataset !== undefined) {
        if (file !== undefined) throw new ArgumentError(`give either a CSV file or --dataset, not both (got ${file} and --dataset ${opts.dataset}).`);
        const stray = CSV_ONLY.filter((k) => explicit.has(k));
        if (stray.length > 0) throw new ArgumentError(`${stray.map(flagName).join(', ')} only appl${stray.length === 1 ? 'ies' : 'y'} to CSV training, not to --dataset.`);
        done(
          await trainBuiltin(
            {
              dataset: opts.dataset as string,
              hidden: opts.hidden as number[],
              weights: opts.weights as WeightsName,
              epochs: opts.epochs as number,
              batch: (opts.batch as number | undefined) ?? 10,
              seed: opts.seed as number,
              threads: opts.threads as number | undefined,
              // --out has a default for CSV training; built-in data writes a model only when asked to.
              out: explicit.has('out') ? (opts.out as string) : undefined,
              determinise: opts.determinise !== false,
              force: Boolean(opts.force),
              json: Boolean(opts.json),
              quiet: Boolean(opts.quiet),
            },
            io,
          ),
        );
        return;
      }
      if (file === undefined) throw new ArgumentError('train needs a CSV file (ebp train data.csv) or a built-in dataset (--dataset mnist).');
      done(await trainCsv(csvTrainSettings(file, opts, explicit), io));
    });
}

/** `ebp eval`: a model's metrics on a labelled CSV file. */
function registerEval(program: Command, io: CliIo, done: Done): void {
  addPredictionOptions(
    program
      .command('eval')
      .description('evaluate a model on a labelled CSV file: error, confusion matrix, NLL / Brier / ECE')
      .argument('<model.ebpb>', 'model file written by ebp train')
      .argument('<test.csv>', 'CSV with the training columns and the label column'),
  )
    .option('--json', 'print the result as one JSON object')
    .addHelpText(
      'after',
      `
Examples:
  ebp eval model.ebpb test.csv
  ebp eval model.ebpb test.csv --mode probabilistic --json
  ebp eval model.ebpb test.csv --mode ensemble --members 32
`,
    )
    .action(async (model: string, file: string, opts: Record<string, unknown>) => {
      done(await evalCommand({ model, file, ...predictionSettings(opts), json: Boolean(opts.json) }, io));
    });
}

/** `ebp predict`: a model's classes (and probabilities) for the rows of a CSV file. */
function registerPredict(program: Command, io: CliIo, done: Done): void {
  addPredictionOptions(
    program
      .command('predict')
      .description('predict the class of every row of a CSV file (streamed; the label column may be absent)')
      .argument('<model.ebpb>', 'model file written by ebp train')
      .argument('<input.csv>', 'CSV with the training feature columns (matched by name)')
      .option('--out <file>', 'write predictions here (default: stdout)')
      .option('--proba', 'add one probability column per class (implies --mode probabilistic unless --mode ensemble)'),
  )
    .addOption(new Option('--on-error <policy>', 'a row that cannot be read or encoded: fail (exit 2), skip (leave it out) or empty (an empty prediction)').choices(ON_ROW_ERROR).default('fail'))
    .option('--force', 'overwrite an existing --out file')
    .option('--quiet', 'no summary on stderr')
    .addHelpText(
      'after',
      `
Examples:
  ebp predict model.ebpb new.csv > predictions.csv
  ebp predict model.ebpb new.csv --out predictions.csv --proba
  ebp predict model.ebpb new.csv --mode ensemble --members 32 --proba
`,
    )
    .action(async (model: string, file: string, opts: Record<string, unknown>) => {
      done(
        await predictCommand(
          {
            model,
            file,
            out: opts.out as string | undefined,
            proba: Boolean(opts.proba),
            ...predictionSettings(opts),
            force: Boolean(opts.force),
            quiet: Boolean(opts.quiet),
            onError: opts.onError as OnRowError,
          },
          io,
        ),
      );
    });
}

/** `ebp inspect`: what a model file holds. */
function registerInspect(program: Command, io: CliIo, done: Done): void {
  program
    .command('inspect')
    .description('show a model: layers, bits, bytes, compression, preprocessing, classes, training metadata')
    .argument('<model.ebpb>', 'model file')
    .option('--json', 'print the summary as one JSON object')
    .addHelpText('after', '\nExamples:\n  ebp inspect model.ebpb\n  ebp inspect model.ebpb --json\n')
    .action((model: string, opts: Record<string, unknown>) => {
      done(inspectCommand({ model, json: Boolean(opts.json) }, io));
    });
}

/** `ebp merge`: shard posteriors into one. */
function registerMerge(program: Command, io: CliIo, done: Done): void {
  program
    .command('merge')
    .description('combine shard models trained from one base (ebp train --prior BASE) into one posterior (docs/scaling.md)')
    .argument('<shards...>', 'shard model files, each trained from --base')
    .requiredOption('--base <file>', 'the model every shard started from (its hash is checked)')
    .requiredOption('--out <file>', 'merged model file to write')
    .addOption(new Option('--combine <rule>', 'product: base + sum of the shard differences (Bayes); average: base + their mean').choices(['product', 'average']).default('product'))
    .option('--force', 'overwrite an existing output file')
    .option('--json', 'print the summary as one JSON object')
    .addHelpText('after', '\nExamples:\n  ebp merge r0_s0.ebpb r0_s1.ebpb --base round0.ebpb --combine average --out round1.ebpb\n')
    .action(async (shards: string[], opts: Record<string, unknown>) => {
      const { mergeCommand } = await import('./commands/merge');
      done(
        mergeCommand(
          { shards, base: opts.base as string, out: opts.out as string, combine: opts.combine as 'product' | 'average', force: Boolean(opts.force), json: Boolean(opts.json) },
          io,
        ),
      );
    });
}

/** `ebp bench`: the EBP-vs-STE comparison harness. */
function registerBench(program: Command, argv: string[], io: CliIo, done: Done): void {
  program
    .command('bench')
    .description('compare EBP (EBP-P, EBP-D, packed ensemble) with STE over a learning-rate sweep: error, NLL, Brier, ECE, time, memory, model size')
    .addOption(new Option('--dataset <name>', 'built-in data: MNIST-10k, Fashion-MNIST (when installed), or both').choices(['mnist', 'fashion-mnist', 'all']).default('mnist'))
    .option('--train <file>', 'a training CSV instead of --dataset (numeric features, integer class ids 0..K-1; with --test)')
    .option('--test <file>', 'the test CSV of the pair')
    .option('--name <name>', 'the CSV pair\'s name in result file names (default from the training file)')
    .option('--label <name|index>', 'label column of the CSV pair (default "label", else the last column)')
    .option('--no-standardize', 'use the CSV features as they are (default: z-scored with the training mean and std)')
    .option('--fashion-dir <dir>', 'Fashion-MNIST IDX folder (default /usr/share/datasets/fashion-mnist)')
    .option('--quick', '1 seed, 2 epochs, lr 1e-3 and 1e-1, one timing round (results named *-quick; docs never touched)')
    .option('--seeds <n|list>', 'a count of seeds (0..n-1) or the seeds, comma separated (default 3; quick 1)', parseSeeds)
    .option('--epochs <n>', 'epochs of every method (default 20; quick 2)', parsePositiveInt)
    .option('--lrs <list>', 'STE learning rates of the first epoch, comma separated (default 1e-4,1e-3,3e-3,1e-2,3e-2,1e-1)', parseNumberList)
    .option('--hidden <sizes>', 'hidden layer widths, comma separated (default 200)', parseSizes)
    .option('--members <n>', 'members of the packed posterior ensemble (default 16)', parsePositiveInt)
    .addOption(new Option('--bn <mode>', 'STE with batch norm, without, or both').choices(['on', 'off', 'both']).default('both'))
    .option('--jobs <n>', 'jobs at once, each in its own process (default 1: timings stay comparable)', parsePositiveInt)
    .option('--threads <n>', 'EBP: threads each training splits its minibatches over, 1 to 256 (default: the available cores, at most 8, divided among --jobs); the same results for any count (STE: one thread)', parseThreads)
    .option('--in-process', 'run every job in this process (peak RSS is then the whole process\'s)')
    .option('--no-speed', 'skip the STE-vs-PyTorch epoch timing')
    .option('--speed-rounds <n>', 'timing rounds (default 3; quick 1)', parsePositiveInt)
    .option('--out-dir <dir>', 'folder of the JSON results; plots go to <dir>/plots', path.join('bench', 'results'))
    .option('--docs <file>', 'also regenerate the comparison section of this Markdown file (full runs; e.g. docs/benchmarks.md)')
    .option('--report-only', 'no training: recompute the summary of the stored result and rewrite its plots (and --docs)')
    .option('--json', 'stdout: one JSON object per progress event, then one per dataset result')
    .option('--quiet', 'no progress lines on stderr')
    .addHelpText(
      'after',
      `
Examples:
  ebp bench --quick --out-dir results                     # a smoke run on MNIST-10k (minutes)
  ebp bench --dataset all --seeds 3 --epochs 20 --docs docs/benchmarks.md
  ebp bench --train train.csv --test test.csv --hidden 64 --lrs 1e-2,1e-1 --bn on --json
`,
    )
    .action(async (opts: Record<string, unknown>) => {
      const { benchCommand } = await import('./commands/bench');
      done(
        await benchCommand(
          {
            dataset: opts.dataset as 'mnist' | 'fashion-mnist' | 'all',
            train: opts.train as string | undefined,
            test: opts.test as string | undefined,
            name: opts.name as string | undefined,
            label: opts.label as string | undefined,
            standardize: opts.standardize !== false,
            fashionDir: opts.fashionDir as string | undefined,
            quick: Boolean(opts.quick),
            seeds: opts.seeds as number | number[] | undefined,
            epochs: opts.epochs as number | undefined,
            lrs: opts.lrs as number[] | undefined,
            hidden: opts.hidden as number[] | undefined,
            members: opts.members as number | undefined,
            bn: opts.bn as 'on' | 'off' | 'both',
            jobs: opts.jobs as number | undefined,
            threads: opts.threads as number | undefined,
            inProcess: Boolean(opts.inProcess),
            speed: opts.speed !== false,
            speedRounds: opts.speedRounds as number | undefined,
            outDir: opts.outDir as string,
            docs: opts.docs as string | undefined,
            reportOnly: Boolean(opts.reportOnly),
            json: Boolean(opts.json),
            quiet: Boolean(opts.quiet),
            command: ['ebp', ...argv].join(' '),
          },
          io,
        ),
      );
    });
}

/** The exit code of an error thrown by a command (or by commander), after printing it. */
function exitCodeOf(e: unknown, io: CliIo, debug: boolean, json: boolean): number {
  if (e instanceof CommanderError && !(e instanceof InvalidArgumentError)) {
    // commander has already printed its message (and a suggestion for an unknown flag or command).
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' || e.exitCode === 0) return 0;
    if (json) io.stdout(JSON.stringify({ error: { code: e.code, exitCode: EXIT_CODES.usage, message: e.message.replace(/^error: /, '') } }) + '\n');
    return EXIT_CODES.usage;
  }
  if (e instanceof EbpError || e instanceof InvalidArgumentError) {
    const exitCode = e instanceof EbpError ? e.exitCode : EXIT_CODES.usage;
    const errCode = e instanceof EbpError ? e.code : 'ebp.usage';
    io.stderr(`error: ${e.message}\n`);
    if (debug && e.stack) io.stderr(e.stack + '\n');
    if (json) io.stdout(JSON.stringify({ error: { code: errCode, exitCode, message: e.message } }) + '\n');
    return exitCode;
  }
  const err = e as Error;
  io.stderr(`internal error: ${err?.message ?? String(e)}\n${debug ? (err?.stack ?? '') + '\n' : 'run with --debug for details\n'}`);
  return 70;
}
