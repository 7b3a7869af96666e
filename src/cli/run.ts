import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EbpError, EXIT_CODES } from '../errors';
import type { CliIo } from './io';
import { BUILTIN_DATASETS, trainBuiltin } from './commands/train';

const VERSION = '0.1.0';

/**
 * Run the `ebp` command line with `argv` (without the node and script names). Returns the exit code:
 * 0 success, 1 usage, 2 data, 3 model file, 4 numeric failure, 130 interrupted.
 */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const debug = argv.includes('--debug');
  let code = 0;
  const program = new Command('ebp')
    .description('Expectation Backpropagation for binary neural networks (Soudry, Hubara & Meir 2014).')
    .version(VERSION)
    .option('--debug', 'print stack traces on errors')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });

  program
    .command('train')
    .description('train a binary network with EBP and report test error per epoch')
    .addOption(new Option('--dataset <name>', 'built-in dataset').choices(BUILTIN_DATASETS))
    .option('--hidden <sizes>', 'hidden layer widths, comma separated', parseSizes, [200])
    .addOption(new Option('--weights <kind>', 'weight posterior').choices(['binary', 'gaussian']).default('binary'))
    .option('--epochs <n>', 'passes over the training data', parsePositiveInt, 20)
    .option('--batch <n>', 'minibatch size (increments are summed over it)', parsePositiveInt, 10)
    .option('--seed <n>', 'seed of the initial field and of the data order', parseNonNegativeInt, 1)
    .option('--json', 'print one JSON object per epoch and a summary on stdout')
    .option('--quiet', 'print only the final result')
    .addHelpText('after', '\nExample:\n  ebp train --dataset mnist --hidden 200 --epochs 20 --seed 1\n')
    .action((opts) => {
      if (!opts.dataset) throw new InvalidArgumentError('train needs --dataset (CSV training data comes with the full CLI).');
      code = trainBuiltin(
        { dataset: opts.dataset, hidden: opts.hidden, weights: opts.weights, epochs: opts.epochs, batch: opts.batch, seed: opts.seed, json: Boolean(opts.json), quiet: Boolean(opts.quiet) },
        io,
      );
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      if (e instanceof InvalidArgumentError || e.code === 'commander.invalidArgument') return EXIT_CODES.usage;
      return e.exitCode === 0 ? 0 : EXIT_CODES.usage;
    }
    if (e instanceof EbpError) {
      io.stderr(`error: ${e.message}\n`);
      if (debug && e.stack) io.stderr(e.stack + '\n');
      return e.exitCode;
    }
    const err = e as Error;
    io.stderr(`internal error: ${err.message}\n${debug ? (err.stack ?? '') + '\n' : 'run with --debug for details\n'}`);
    return 70;
  }
}

function parsePositiveInt(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got '${v}'.`);
  return n;
}

function parseNonNegativeInt(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected a non-negative integer, got '${v}'.`);
  return n;
}

function parseSizes(v: string): number[] {
  const parts = v.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) {
    throw new InvalidArgumentError(`expected comma-separated positive layer widths like 200 or 500,500, got '${v}'.`);
  }
  return parts.map(Number);
}
