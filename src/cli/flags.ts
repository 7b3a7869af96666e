// The flag vocabulary of the \`ebp\` command: value parsers (commander argParsers, which throw
// InvalidArgumentError so commander reports the flag), and what the \`train\` flags mean as settings — one
// definition for \`train\` and \`cv\`, which shares train's options.
import { InvalidArgumentError } from 'commander';
import { parseDelimiter, type Delimiter } from '../data/csv-cells';
import { splitColumnList } from '../data/columns';
import type { ImputeMethod } from '../data/preprocess';
import type { SteLoss } from '../ste/loss';
import { MAX_THREADS } from '../node/xnor-threads';
import type { WeightsName } from '../train/record';
import type { CsvTrainSettings } from '../train/settings';

/** The settings of CSV training from the parsed \`train\` flags (\`cv\` overrides what has no meaning there). */
export function csvTrainSettings(file: string, opts: Record<string, unknown>, explicit: ReadonlySet<string>): CsvTrainSettings {
  return {
    file,
    test: opts.test as string | undefined,
    split: opts.split as number | undefined,
    label: opts.label as string | undefined,
    hidden: opts.hidden as number[],
    weights: opts.weights as WeightsName,
    epochs: opts.epochs as number,
    batch: opts.batch as number | undefined,
    seed: opts.seed as number,
    out: opts.out as string,
    trainer: opts.trainer as 'ebp' | 'ste',
    lrStart: opts.lrStart as number | undefined,
    lrEnd: opts.lrEnd as number | undefined,
    batchNorm: opts.batchNorm !== false,
    loss: opts.loss as SteLoss | undefined,
    // Standardized unless --no-standardize (or --binarize, which scalingOf puts first).
    standardize: opts.standardize !== false,
    binarize: opts.binarize as number | undefined,
    categorical: opts.categorical as string[],
    drop: opts.drop as string[],
    impute: (opts.impute as ImputeMethod | undefined) ?? 'none',
    delimiter: opts.delimiter as Delimiter | undefined,
    checkpointEvery: opts.checkpointEvery as number,
    threads: opts.threads as number | undefined,
    resume: opts.resume as string | undefined,
    prior: opts.prior as string | undefined,
    allowUnfinishedPrior: Boolean(opts.allowUnfinishedPrior),
    determinise: opts.determinise !== false,
    force: Boolean(opts.force),
    quiet: Boolean(opts.quiet),
    json: Boolean(opts.json),
    explicit,
  };
}

export function flagName(key: string): string {
  if (key === 'batchNorm') return '--no-batch-norm';
  return '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

export function parsePositiveInt(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got '${v}'.`);
  return n;
}

export function parseThreads(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new InvalidArgumentError(`expected an integer from 1 to ${MAX_THREADS}, got '${v}'.`);
  }
  return n;
}

export function parseNonNegativeInt(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected a non-negative integer, got '${v}'.`);
  return n;
}

export function parseSizes(v: string): number[] {
  const parts = v.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) {
    throw new InvalidArgumentError(`expected comma-separated positive layer widths like 200 or 500,500, got '${v}'.`);
  }
  return parts.map(Number);
}

export function parseFraction(v: string): number {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || !(x > 0 && x < 1)) throw new InvalidArgumentError(`expected a fraction between 0 and 1 like 0.2, got '${v}'.`);
  return x;
}

export function parseSeeds(v: string): number | number[] {
  if (/^\d+$/.test(v.trim())) {
    const n = Number(v);
    if (n < 1) throw new InvalidArgumentError(`expected a positive count of seeds or a list like 0,1,2, got '${v}'.`);
    return n;
  }
  const parts = v.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p))) throw new InvalidArgumentError(`expected a positive count of seeds or a list like 0,1,2, got '${v}'.`);
  return parts.map(Number);
}

export function parseNumberList(v: string): number[] {
  const parts = v.split(',').map((s) => s.trim());
  const xs = parts.map(Number);
  if (parts.some((p) => p === '') || xs.some((x) => !Number.isFinite(x) || !(x > 0))) {
    throw new InvalidArgumentError(`expected comma-separated positive numbers like 1e-3,1e-1, got '${v}'.`);
  }
  return xs;
}

export function parsePositiveNumber(v: string): number {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || !(x > 0)) throw new InvalidArgumentError(`expected a positive number like 0.01 or 1e-3, got '${v}'.`);
  return x;
}

export function parseNumber(v: string): number {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x)) throw new InvalidArgumentError(`expected a finite number, got '${v}'.`);
  return x;
}

export function parseDelimiterArg(v: string): Delimiter {
  const d = parseDelimiter(v);
  if (d === null) throw new InvalidArgumentError(`expected ',' ';' or tab, got '${v}'.`);
  return d;
}

/** `--categorical`, `--drop`: comma-separated names or 0-based indices, a name holding a comma in double quotes (src/data/columns.ts). */
export function collectColumns(v: string, prev: string[]): string[] {
  const cols = splitColumnList(v);
  if (cols === null) throw new InvalidArgumentError(`expected comma-separated column names or 0-based indices (a name holding a comma in double quotes: '"a, b",c'), got '${v}'.`);
  return [...prev, ...cols];
}
