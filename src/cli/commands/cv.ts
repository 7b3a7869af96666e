import { spawn } from 'child_process';
import { existsSync } from 'fs';
import * as path from 'path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ArgumentError, IoError } from '../../errors';
import { readCsvTable } from '../../node/csv-stream';
import { csvSource, shownName } from '../stdin';
import { CV_METRICS, crossValidate, summarizeFolds, type CrossValidationSettings, type CvEpoch, type CvFold } from '../../train/cv';
import { contiguousBlocks } from '../../train/folds';
import { resolveTrainer, scalingOf, type ResolvedSettings } from '../../train/settings';
import type { CliIo } from '../io';
import { plural, resultPct } from '../format';
import { csvTrainSettings, parsePositiveInt } from '../flags';
import '../../node/ebp-threads'; // the worker threads of --threads
import { defaultThreads } from '../../node/xnor-threads';

/** `train` flags that have no meaning in cross-validation (no model file, no held-out file: the folds are the test). */
const NOT_IN_CV = new Set(['dataset', 'test', 'split', 'out', 'checkpointEvery', 'resume', 'prior', 'allowUnfinishedPrior', 'determinise', 'force', 'json', 'quiet']);

/**
 * Register `ebp cv` on `program`, with every flag of `train` (the same Option objects, so one definition)
 * that applies to cross-validation; `argv` is the whole command line (children of --jobs get it back).
 */
export function registerCv(program: Command, train: Command, argv: string[], io: CliIo, done: (code: number) => void): void {
  const cv = program
    .command('cv')
    .description('K-fold cross-validation of EBP (or STE) on a CSV file: test metrics per fold and epoch, mean ± std over folds')
    .argument('<data.csv>', 'the data: CSV with a header row; the label column is "label" or the last one')
    .requiredOption('--folds <k>', 'number of folds (contiguous blocks in file order: fold f tests rows round(1+(f-1)T/K) .. round(fT/K))', parsePositiveInt);
  cv.option('--shuffle', 'seeded stratified fold assignment instead of contiguous blocks')
    .option('--jobs <n>', 'folds run in parallel child processes (same results as --jobs 1)', parsePositiveInt, 1)
    .option('--members <n>', 'members of the sampled ensemble (EBP)', parsePositiveInt, 16)
    .option('--determinise', "binary EBP: after the last epoch also the test error of the determinised network (its choices on 10% of the fold's training rows; slower)")
    .addOption(new Option('--only-fold <list>', 'run only these folds (1-based, comma separated; what --jobs gives each child)').argParser(foldList).hideHelp());
  for (const o of train.options) if (!NOT_IN_CV.has(o.attributeName())) cv.addOption(o);
  cv.option('--json', 'print one JSON object per fold and epoch, then {"folds": [...], "mean": {...}, "std": {...}} on one line')
    .option('--quiet', 'print only the final result')
    .addHelpText('after', '\nExamples:\n  ebp cv data.csv --folds 8 --hidden 120 --epochs 3 --standardize\n  ebp cv data.csv --folds 5 --shuffle --jobs 2 --json\n')
    .action(async (file: string, opts: Record<string, unknown>, cmd: Command) => {
      const explicit = new Set(Object.keys(opts).filter((k) => cmd.getOptionValueSource(k) === 'cli'));
      done(await cvCommand(file, opts, explicit, argv, opts.jobs as number, io));
    });
}

interface CvArgs {
  file: string;
  settings: ResolvedSettings;
  folds: number;
  shuffle: boolean;
  members: number;
  determinise: boolean;
  only?: number[];
}

async function cvCommand(file: string, opts: Record<string, unknown>, explicit: Set<string>, argv: string[], jobs: number, io: CliIo): Promise<number> {
  // train's flags, less what has no meaning here: no model file, no checkpoints (the folds are the test).
  const settings = resolveTrainer({ ...csvTrainSettings(file, opts, explicit), out: '', checkpointEvery: 1, force: false });
  const a: CvArgs = { file, settings, folds: opts.folds as number, shuffle: Boolean(opts.shuffle), members: opts.members as number, determinise: opts.determinise === true, only: opts.onlyFold as number[] | undefined };
  if (a.only?.some((f) => f > a.folds)) throw new ArgumentError(`--only-fold ${a.only.join(',')} names a fold above --folds ${a.folds}.`);
  const folds = jobs > 1 && !a.only ? await inChildren(a, argv, jobs, io) : await inProcess(a, io);
  if (folds === null) {
    if (!settings.json) io.stderr('interrupted; no summary.\n');
    return 130;
  }
  if (a.only) return 0; // a child of --jobs: its parent summarizes
  const summary = summarizeFolds(folds);
  if (settings.json) io.stdout(JSON.stringify({ folds: summary.folds, mean: summary.mean, std: summary.std, epochs: summary.epochs }) + '\n');
  else io.stdout(summaryText(a, summary));
  return 0;
}

/** The settings of the library runner. */
function cvSettings(a: CvArgs): CrossValidationSettings {
  const s = a.settings;
  return { ...s, threads: s.threads ?? defaultThreads(), folds: a.folds, shuffle: a.shuffle, batch: s.batch, scaling: scalingOf(s), impute: s.impute, members: a.members, determinise: a.determinise };
}

/** One JSON object of a fold's epoch (the same bytes whichever process ran the fold, timings aside). */
function epochJson(e: CvEpoch): string {
  return JSON.stringify({ fold: e.fold, epoch: e.epoch, trainer: e.trainer, trainRows: e.trainRows, testRows: e.testRows, ...e.metrics, loss: e.loss, seconds: e.seconds });
}

function epochFromJson(o: Record<string, unknown>): CvEpoch {
  const trainer = o.trainer as 'ebp' | 'ste';
  const metrics: Record<string, number | null> = {};
  for (const k of [...CV_METRICS[trainer], 'errorDeterminised']) if (k in o) metrics[k] = o[k] as number | null;
  return { fold: o.fold as number, epoch: o.epoch as number, trainer, trainRows: o.trainRows as number, testRows: o.testRows as number, metrics, loss: o.loss as number, seconds: o.seconds as number };
}

function epochLine(e: CvEpoch, a: CvArgs): string {
  const m = e.metrics;
  const head = `fold ${e.fold}/${a.folds} epoch ${e.epoch}/${a.settings.epochs}: `;
  const tail = ` (${e.seconds.toFixed(1)} s)\n`;
  if (e.trainer === 'ste') return head + `STE ${resultPct(m.error)}` + tail;
  return head + `EBP-P ${resultPct(m.errorP)}, EBP-D ${resultPct(m.errorD)}, ensemble ${resultPct(m.errorEnsemble)}, NLL ${fixed(m.nll)}, ECE ${resultPct(m.ece)}${'errorDeterminised' in m ? `, determinised ${resultPct(m.errorDeterminised)}` : ''}` + tail;
}

function fixed(x: number | null): string {
  return x === null ? '-' : x.toFixed(3);
}

async function readTable(a: CvArgs, io: CliIo) {
  const s = a.settings;
  return readCsvTable(csvSource(io, a.file), { label: s.label, categorical: s.categorical, drop: s.drop, allowMissing: s.impute !== 'none', delimiter: s.delimiter, file: shownName(a.file) });
}

/** Run the folds here; null when interrupted. */
async function inProcess(a: CvArgs, io: CliIo): Promise<CvFold[] | null> {
  const s = a.settings;
  const raw = await readTable(a, io);
  if (!s.json && !s.quiet && !a.only) io.stderr(headerText(a, raw.rows));
  const r = await crossValidate(raw, cvSettings(a), {
    only: a.only,
    shouldStop: () => Boolean(io.interrupted?.()),
    onEpoch: (e) => {
      if (s.json) io.stdout(epochJson(e) + '\n');
      else if (!s.quiet) io.stderr(epochLine(e, a));
    },
  });
  return r.interrupted ? null : r.folds;
}

function headerText(a: CvArgs, rows: number): string {
  const s = a.settings;
  const rule = a.shuffle ? `stratified (seed ${s.seed})` : 'contiguous blocks';
  const blocks = a.shuffle ? '' : ` (fold 1 tests rows ${contiguousBlocks(rows, a.folds)[0].first}..${contiguousBlocks(rows, a.folds)[0].last})`;
  const who = s.trainer === 'ste' ? 'STE' : `EBP, ${s.weights} weights`;
  return `${a.file}: ${plural(rows, 'row')}, ${a.folds} folds, ${rule}${blocks}; ${who}, hidden ${s.hidden.join(',')}, batch ${s.batch}, ${plural(s.epochs, 'epoch')}\n`;
}

function summaryText(a: CvArgs, sum: ReturnType<typeof summarizeFolds>): string {
  const names: Record<string, string> = { errorP: 'EBP-P error', errorD: 'EBP-D error', errorEnsemble: `ensemble-${a.members} error`, nll: 'EBP-P NLL', ece: 'EBP-P ECE', nllEnsemble: 'ensemble NLL', eceEnsemble: 'ensemble ECE', errorDeterminised: 'determinised error', error: 'STE error' };
  const lines = [`${a.folds}-fold cross-validation, after epoch ${a.settings.epochs}, mean ± std over folds:`];
  for (const k of Object.keys(sum.mean)) {
    const m = sum.mean[k];
    const sd = sum.std[k];
    const nll = k.startsWith('nll');
    const f = (x: number | null) => (x === null ? '-' : nll ? x.toFixed(3) : `${(100 * x).toFixed(2)}%`);
    lines.push(`  ${names[k] ?? k}: ${f(m)} ± ${f(sd)}`);
  }
  return lines.join('\n') + '\n';
}

/** The CLI entry next to this module (compiled builds only). */
function mainScript(): string {
  const p = path.join(__dirname, '..', 'main.js');
  if (!__filename.endsWith('.js') || !existsSync(p)) throw new ArgumentError('--jobs above 1 needs the compiled CLI (dist/cli/main.js); run the built `ebp`, or use --jobs 1.');
  return p;
}

/** `argv` with the --jobs flag taken out. */
function withoutJobs(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--jobs') i++;
    else if (!argv[i].startsWith('--jobs=')) out.push(argv[i]);
  }
  return out;
}

/** --jobs N: each fold in a child `ebp cv … --only-fold f --json`, output in fold order as folds finish. */
async function inChildren(a: CvArgs, argv: string[], jobs: number, io: CliIo): Promise<CvFold[] | null> {
  const script = mainScript();
  const s = a.settings;
  const base = withoutJobs(argv).filter((x) => x !== '--json' && x !== '--quiet');
  if (!s.json && !s.quiet) io.stderr(`${a.file}: ${a.folds} folds in ${jobs} child processes\n`);
  const results: (CvFold | undefined)[] = new Array(a.folds);
  let printed = 0;
  let next = 1;
  let stopped = false;
  const flush = () => {
    while (printed < a.folds && results[printed]) {
      if (s.json) for (const e of results[printed]!.epochs) io.stdout(epochJson(e) + '\n');
      printed++;
    }
  };
  const worker = async () => {
    while (next <= a.folds && !stopped) {
      const f = next++;
      const fold = await runChild(script, [...base, '--only-fold', String(f), '--json'], io, (e) => {
        if (!s.json && !s.quiet) io.stderr(epochLine(e, a));
      });
      if (fold === null) {
        stopped = true;
        return;
      }
      results[f - 1] = fold;
      flush();
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, a.folds) }, worker));
  return stopped ? null : (results as CvFold[]);
}

/** One child's fold (null when interrupted); its errors become this process's. */
function runChild(script: string, args: string[], io: CliIo, onEpoch: (e: CvEpoch) => void): Promise<CvFold | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: io.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const epochs: CvEpoch[] = [];
    let buf = '';
    let err = '';
    const timer = setInterval(() => {
      if (io.interrupted?.()) child.kill('SIGINT');
    }, 100);
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const o = JSON.parse(line) as Record<string, unknown>;
        if (typeof o.epoch === 'number') {
          const e = epochFromJson(o);
          epochs.push(e);
          onEpoch(e);
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString('utf8')).slice(-4000)));
    child.on('error', (e) => reject(e));
    child.on('close', (code) => {
      clearInterval(timer);
      if (code === 0) {
        const e = epochs[0];
        resolve({ fold: e.fold, trainRows: e.trainRows, testRows: e.testRows, epochs });
      } else if (code === 130) resolve(null);
      else reject(new IoError(`fold child failed (exit ${code}): ${err.trim().replace(/^error: /, '')}`, code ?? 70));
    });
  });
}

function foldList(v: string): number[] {
  const parts = v.split(',').map((x) => x.trim());
  if (parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) throw new InvalidArgumentError(`expected comma-separated fold numbers like 1,3, got '${v}'.`);
  return parts.map(Number);
}
