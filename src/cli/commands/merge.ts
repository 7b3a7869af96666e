import * as path from 'path';
import type { MergeCombine } from '../../ebp/merge';
import { checkWritable } from '../../node/atomic';
import { loadTrainedModel, saveTrainedModel } from '../../node/model-file';
import { mergeTrainedModels } from '../../train/prior';
import type { CliIo } from '../io';
import { refuseInputAsOutput } from '../paths';

export interface MergeArgs {
  shards: string[];
  base: string;
  out: string;
  combine: MergeCombine;
  force: boolean;
  json: boolean;
}

/** `ebp merge A.ebpb B.ebpb ... --base BASE.ebpb --out M.ebpb`: shard posteriors trained from BASE, combined (docs/scaling.md). */
export function mergeCommand(args: MergeArgs, io: CliIo): number {
  const out = path.resolve(io.cwd, args.out);
  // Refuse to clobber before reading anything; never an input, even with --force (issue 12).
  refuseInputAsOutput({ path: out, shown: args.out, flag: '--out' }, [
    { path: path.resolve(io.cwd, args.base), shown: args.base, what: 'the base' },
    ...args.shards.map((f) => ({ path: path.resolve(io.cwd, f), shown: f, what: 'a shard' })),
  ]);
  checkWritable(out, args.force, 'output file', args.out);
  const load = (f: string) => ({ model: loadTrainedModel(path.resolve(io.cwd, f), f), shown: f });
  const { store, record } = mergeTrainedModels(load(args.base), args.shards.map(load), args.combine);
  const bytes = saveTrainedModel(out, store, record, { force: args.force, shownAs: args.out });
  const merge = record.lineage!.merge!;
  if (args.json) {
    io.stdout(JSON.stringify({ summary: true, out: args.out, bytes, sizes: store.sizes, shards: args.shards.length, combine: args.combine, base: merge.base }) + '\n');
  } else {
    io.stdout(`merged ${args.shards.length} shard${args.shards.length === 1 ? '' : 's'} (${args.combine}) from base ${args.base} into ${args.out} (${bytes} bytes)\n`);
  }
  return 0;
}
