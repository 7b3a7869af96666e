/**
 * Where a model's posterior came from (issue 16), as its file records it: the prior it was trained from and,
 * for a merged model, the base and the shards it combines. Both live in the header's `training` entry:
 * `"prior": "<sha256>"` (posteriorHash of the prior) and `"merge": {"base": "<sha256>", "shards": [...], "combine": "product"}`
 * (the shards' hashes sorted, so the file does not depend on their order; `combine`: 'product' or 'average'). The checks before a merge live
 * here too: shards must share the base's architecture, weight kind, preprocessing and class names, and must
 * record the base's hash as their prior.
 */
import { ArgumentError, MismatchError } from '../errors';
import { checkSameFamily, mergePosteriors, posteriorHash, type MergeCombine } from '../ebp/merge';
import type { Backend, PosteriorStore } from '../ebp/posterior';
import type { MetaValue, ModelMeta } from './format';

/** Where a model's posterior came from: the prior it was trained from, or the base and shards of a merge. */
export interface Lineage {
  /** posteriorHash of the posterior training started from (`--prior`). */
  prior?: string;
  /** A merged model: the base's hash and the shards' hashes (sorted). */
  merge?: { base: string; shards: string[]; combine: MergeCombine };
}

const HASH = /^[0-9a-f]{64}$/;

/** The lineage in a decoded `training` entry (ModelMeta.training); malformed entries are ignored. */
export function lineageOf(training: unknown): Lineage {
  const out: Lineage = {};
  if (typeof training !== 'object' || training === null) return out;
  const t = training as Record<string, unknown>;
  if (typeof t.prior === 'string' && HASH.test(t.prior)) out.prior = t.prior;
  const m = t.merge as Record<string, unknown> | undefined;
  if (m && typeof m.base === 'string' && Array.isArray(m.shards) && m.shards.every((s) => typeof s === 'string')) {
    out.merge = { base: m.base, shards: (m.shards as string[]).slice(), combine: m.combine === 'average' ? 'average' : 'product' };
  }
  return out;
}

/** The lineage as `training` entries (merge into a `training` object before encoding). */
export function lineageEntries(l: Lineage): { [key: string]: MetaValue } {
  const out: { [key: string]: MetaValue } = {};
  if (l.prior !== undefined) out.prior = l.prior;
  if (l.merge !== undefined) out.merge = { base: l.merge.base, shards: l.merge.shards.slice(), combine: l.merge.combine };
  return out;
}

/** `meta` with `training.prior` set to the hash of `prior`: what a model trained from `prior` records. */
export function withPrior(meta: ModelMeta, prior: PosteriorStore): ModelMeta {
  return { ...meta, training: { ...(meta.training ?? { trainer: 'ebp' }), prior: posteriorHash(prior) } };
}

/** One model of a merge, as its file describes it. */
export interface MergePart {
  /** For messages (a file name). */
  name: string;
  posterior: PosteriorStore;
  /** The header's `preprocess` entry (compared as JSON with sorted keys). */
  preprocess?: unknown;
  featureNames?: readonly string[];
  classNames?: readonly string[];
  /** posteriorHash of the prior the model was trained from (null: none recorded). */
  prior: string | null;
}

/**
 * Merge shard models trained from `base` (mergePosteriors, docs/algorithm.md) after checking that they fit.
 *
 * @throws {MismatchError} naming what differs: `architecture`, `weights`, `preprocessing`, `classes`, or `base`
 *   (a shard that records another prior than the base, or none)
 */
export function mergeParts(
  base: MergePart,
  shards: readonly MergePart[],
  opts: { backend?: Backend; combine?: MergeCombine } = {},
): { posterior: PosteriorStore; lineage: Lineage } {
  if (!Array.isArray(shards) || shards.length === 0) throw new ArgumentError('invalid argument. `shards` must name at least one shard model.');
  const baseHash = posteriorHash(base.posterior);
  for (const s of shards) checkPart(base, s, baseHash);
  const posterior = mergePosteriors(
    base.posterior,
    shards.map((s) => s.posterior),
    { baseName: base.name, shardNames: shards.map((s) => s.name), backend: opts.backend, combine: opts.combine },
  );
  const shardHashes = shards.map((s) => posteriorHash(s.posterior)).sort();
  const lineage: Lineage = { merge: { base: baseHash, shards: shardHashes, combine: opts.combine ?? 'product' } };
  return { posterior, lineage };
}

/** A merge part from a decoded file (decodeCheckpoint's `posterior` and `meta`). */
export function mergePartOf(name: string, decoded: { posterior: PosteriorStore; meta: ModelMeta }): MergePart {
  const m = decoded.meta;
  return {
    name,
    posterior: decoded.posterior,
    preprocess: m.preprocess,
    featureNames: m.featureNames,
    classNames: m.classNames,
    prior: lineageOf(m.training).prior ?? null,
  };
}

/**
 * Merge decoded shard checkpoints (decodeCheckpoint) trained from the decoded `base`: the merged posterior and
 * the metadata of its file (the base's class names, feature names and preprocessing; `training.merge`).
 * Encode it as any posterior: `encodeModel(XnorNetwork.fromPosterior(posterior), meta, { posterior })`.
 */
export function mergeCheckpoints(
  base: { name: string; posterior: PosteriorStore; meta: ModelMeta },
  shards: readonly { name: string; posterior: PosteriorStore; meta: ModelMeta }[],
  opts: { backend?: Backend; combine?: MergeCombine } = {},
): { posterior: PosteriorStore; meta: ModelMeta } {
  const { posterior, lineage } = mergeParts(mergePartOf(base.name, base), shards.map((s) => mergePartOf(s.name, s)), opts);
  const m = base.meta;
  const meta: ModelMeta = { training: { trainer: 'ebp', ...lineageEntries(lineage) } };
  if (m.classNames) meta.classNames = m.classNames.slice();
  if (m.featureNames) meta.featureNames = m.featureNames.slice();
  if (m.preprocess !== undefined) meta.preprocess = m.preprocess;
  return { posterior, meta };
}

function checkPart(base: MergePart, s: MergePart, baseHash: string): void {
  checkSameFamily(base.posterior, s.posterior, base.name, s.name);
  const where = firstDifference(base.preprocess, s.preprocess, 'preprocess');
  if (where !== null) {
    throw new MismatchError(
      `${s.name} was preprocessed differently from ${base.name} (${where} differs); shards must use the base's preprocessing, fitted once.`,
      'preprocessing',
    );
  }
  const features = firstDifference(base.featureNames, s.featureNames, 'featureNames');
  if (features !== null) throw new MismatchError(`${s.name} has other input features than ${base.name} (${features} differs).`, 'preprocessing');
  const classes = firstDifference(base.classNames, s.classNames, 'classNames');
  if (classes !== null) throw new MismatchError(`${s.name} has other classes than ${base.name} (${classes} differs).`, 'classes');
  if (s.prior === null) {
    throw new MismatchError(
      `${s.name} records no prior, so it cannot be checked against the base ${base.name}; a shard is trained from the base (ebp train --prior ${base.name}).`,
      'base',
    );
  }
  if (s.prior !== baseHash) {
    throw new MismatchError(
      `${s.name} was trained from the prior ${s.prior.slice(0, 12)}…, not from the base ${base.name} (${baseHash.slice(0, 12)}…); ` +
        `merge the shards of a round with the posterior they all started from.`,
      'base',
    );
  }
}

/** The first path at which two JSON-like values differ (object keys in any order), or null when they are equal. */
export function firstDifference(a: unknown, b: unknown, path: string): string | null {
  if (Object.is(a, b)) return null;
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) return firstDifference(Array.from(a as Float64Array), Array.from(b as Float64Array), path);
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path} (length ${a.length} vs ${b.length})`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d !== null) return d;
    }
    return null;
  }
  if (isPlain(a) && isPlain(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const d = firstDifference(a[k], b[k], `${path}.${k}`);
      if (d !== null) return d;
    }
    return null;
  }
  return path;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}
