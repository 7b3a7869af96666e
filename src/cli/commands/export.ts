import * as path from 'path';
import { Option, type Command } from 'commander';
import { checkWritable, writeFileAtomic } from '../../node/atomic';
import { loadTrainedModel } from '../../node/model-file';
import { EXPORT_MODES, exportModel, type ExportMode } from '../../train/export';
import { XnorEnsemble } from '../../xnor/network';
import { parseNonNegativeInt, parsePositiveInt } from '../flags';
import { resultPct } from '../format';
import type { CliIo } from '../io';
import { refuseInputAsOutput } from '../paths';
import { MAX_MEMBERS } from '../predictor';
import { ArgumentError } from '../../errors';

export interface ExportArgs {
  model: string;
  mode: ExportMode;
  members: number;
  seed: number;
  out: string;
  force: boolean;
  json: boolean;
}

/** `ebp export model.ebpb --mode deterministic --out net.ebpb`: the packed network alone (src/train/export.ts), written atomically. */
export function exportCommand(args: ExportArgs, io: CliIo): number {
  const out = path.resolve(io.cwd, args.out);
  const input = path.resolve(io.cwd, args.model);
  // Refuse to clobber before reading anything; never the input, even with --force.
  refuseInputAsOutput({ path: out, shown: args.out, flag: '--out' }, [{ path: input, shown: args.model, what: 'the model' }]);
  checkWritable(out, args.force, 'output file', args.out);
  if (args.members > MAX_MEMBERS) throw new ArgumentError(`--members must be an integer from 1 to ${MAX_MEMBERS}, got ${args.members}.`);
  const model = loadTrainedModel(input, args.model);
  const e = exportModel(model, args.mode, { members: args.members, seed: args.seed });
  writeFileAtomic(out, e.bytes, { force: args.force, what: 'output file', shownAs: args.out });
  const members = e.network instanceof XnorEnsemble ? e.network.members.length : 1;
  const what = members > 1 || e.network instanceof XnorEnsemble ? `packed ensemble of ${members} members` : `packed ${args.mode === 'map' ? 'EBP-D' : 'deterministic'} network`;
  if (args.json) {
    io.stdout(JSON.stringify({ summary: true, model: args.model, out: args.out, mode: args.mode, members, bytes: e.bytes.length, modelBytes: model.fileBytes, validationError: e.validationError }) + '\n');
  } else {
    const v = e.validationError !== null ? `; validation error ${resultPct(e.validationError)}` : '';
    io.stdout(`${what} written to ${args.out} (${e.bytes.length} bytes; ${args.model} is ${model.fileBytes} bytes)${v}\n`);
  }
  return 0;
}

/** The `export` command of the `ebp` program. */
export function registerExport(program: Command, io: CliIo, done: (code: number) => void): void {
  program
    .command('export')
    .description('write a model\'s packed network alone (deterministic, EBP-D or a sampled ensemble) with its preprocessing and class names: a small file for eval and predict')
    .argument('<model.ebpb>', 'model file written by ebp train')
    .addOption(new Option('--mode <mode>', "deterministic (the model's deterministic network), map (EBP-D) or ensemble (members drawn from the posterior)").choices(EXPORT_MODES).default('deterministic'))
    .option('--members <n>', 'ensemble members (as eval --mode ensemble draws them)', parsePositiveInt, 16)
    .option('--seed <n>', 'seed of the ensemble draws', parseNonNegativeInt, 1)
    .requiredOption('--out <file>', 'file to write')
    .option('--force', 'overwrite an existing output file (never the model itself)')
    .option('--json', 'print the summary as one JSON object')
    .addHelpText('after', '\nExamples:\n  ebp export model.ebpb --out net.ebpb\n  ebp export model.ebpb --mode ensemble --members 16 --out ens.ebpb\n')
    .action((model: string, opts: Record<string, unknown>) => {
      done(
        exportCommand(
          { model, mode: opts.mode as ExportMode, members: opts.members as number, seed: opts.seed as number, out: opts.out as string, force: Boolean(opts.force), json: Boolean(opts.json) },
          io,
        ),
      );
    });
}
