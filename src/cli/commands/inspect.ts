import * as path from 'path';
import { encodedFeatureNames } from '../../data/preprocess';
import { isDiscrete, type WeightKind } from '../../ebp/weights';
import { plural, resultPct, servedModeLine } from '../format';
import type { CliIo } from '../io';
import { loadTrainedModel } from '../../node/model-file';
import { modelFileKind, type LoadedModel } from '../../train/trained-model';
import type { XnorEnsemble } from '../../xnor/network';
import { determinisedLine } from '../determinise';

function weightsName(w: WeightKind): string {
  if (!isDiscrete(w)) return w;
  if (w.levels.length === 3 && w.levels[0] === -1 && w.levels[1] === 0 && w.levels[2] === 1) return 'ternary';
  return `levels ${w.levels.join(',')}`;
}

interface LayerRow {
  layer: number;
  inputs: number;
  outputs: number;
  binaryParams: number;
  /** Networks with ternary layers only: 2-bit weights and the fraction of zero weights. */
  ternaryParams?: number;
  zeroFraction?: number;
  realParams: number;
  packedBytes: number;
  float32Bytes: number;
}

/** The model summary as a plain object (the `--json` output). */
export function modelSummary(m: LoadedModel, shownAs: string): Record<string, unknown> {
  let layers: LayerRow[];
  let packed: { members: number; packedBytes: number; float32Bytes: number; compression: number; zeroFraction?: number } | null = null;
  if (m.network) {
    const s = m.network.summary();
    const tern = s.ternaryParams > 0;
    layers = s.layers.map((L) => ({
      layer: L.index,
      inputs: L.inputs,
      outputs: L.outputs,
      binaryParams: L.binaryParams,
      ...(tern ? { ternaryParams: L.ternaryParams, zeroFraction: L.zeroFraction } : {}),
      realParams: L.realParams,
      packedBytes: L.packedBytes,
      float32Bytes: L.float32Bytes,
    }));
    packed = { members: s.members, packedBytes: s.packedBytes, float32Bytes: s.float32Bytes, compression: Math.round(s.compression * 100) / 100 };
    if (tern) packed.zeroFraction = s.zeroFraction;
  } else {
    // No packed form (Gaussian or multi-level weights): the parameters as they are used, float64.
    layers = m.sizes.slice(1).map((outputs, l) => ({
      layer: l,
      inputs: m.sizes[l],
      outputs,
      binaryParams: 0,
      realParams: m.sizes[l] * outputs + outputs,
      packedBytes: 0,
      float32Bytes: (m.sizes[l] * outputs + outputs) * 4,
    }));
  }
  const params = m.sizes.slice(1).reduce((a, o, l) => a + m.sizes[l] * o + o, 0);
  const spec = m.meta.preprocess;
  const t = m.meta.training;
  return {
    file: shownAs,
    bytes: m.fileBytes,
    formatVersion: m.formatVersion,
    kind: m.kind,
    fileKind: modelFileKind(m),
    createdBy: m.createdBy,
    sizes: m.sizes,
    weights: weightsName(m.weights),
    layers,
    parameters: params,
    packed,
    posterior: m.store ? { dtype: 'float64', bytes: params * 8 } : null,
    ...(m.meta.ste ? { steState: { dtype: 'float64', bytes: steStateBytes(m) } } : {}),
    label: spec.label.name,
    classes: spec.label.classes,
    columns: spec.columns.map((c) => (c.kind === 'numeric' ? { name: c.name, kind: c.kind } : { name: c.name, kind: c.kind, categories: c.categories })),
    inputs: encodedFeatureNames(spec).length,
    preprocessing: {
      scaling: spec.scaling,
      impute: spec.impute,
      categorical: spec.columns.filter((c) => c.kind === 'categorical').map((c) => c.name),
    },
    training: t ? { ...t.config, ...t.result } : null,
    lineage: m.meta.lineage ?? null,
    resumable: Boolean((m.store || m.meta.ste) && m.meta.state),
  };
}

/** Bytes of an STE checkpoint's float64 state arrays (latent weights, batch norm or biases, Adam moments). */
function steStateBytes(m: LoadedModel): number {
  let n = 0;
  for (const L of m.meta.ste?.layers ?? []) for (const v of Object.values(L)) if (v instanceof Float64Array) n += v.length;
  return 8 * n;
}

function list(xs: string[], max = 12): string {
  const q = xs.map((s) => JSON.stringify(s));
  return q.length <= max ? q.join(', ') : `${q.slice(0, max).join(', ')}, ... (${q.length - max} more)`;
}


/** Which of the three kinds of file this is, and the modes it serves. */
function fileKindLine(m: LoadedModel): string {
  const k = modelFileKind(m);
  if (k === 'posterior') return 'kind: posterior model (modes deterministic, map, probabilistic, ensemble; --resume, --prior)';
  if (k === 'packed-ensemble') return `kind: packed ensemble of ${(m.network as XnorEnsemble).members.length} members (ebp export --mode ensemble; mode ensemble, no posterior)`;
  return `kind: packed deterministic network${m.meta.training?.result.determinised ? ' (determinised)' : ''} (mode deterministic only)`;
}

/** `ebp inspect model.ebpb`: layers, bits, bytes, compression, preprocessing, classes, training metadata. */
export function inspectCommand(args: { model: string; json: boolean }, io: CliIo): number {
  const m = loadTrainedModel(path.resolve(io.cwd, args.model), args.model);
  const s = modelSummary(m, args.model);
  if (args.json) {
    io.stdout(JSON.stringify(s) + '\n');
    return 0;
  }
  const layers = s.layers as LayerRow[];
  const packed = s.packed as { members: number; packedBytes: number; float32Bytes: number; compression: number; zeroFraction?: number } | null;
  const spec = m.meta.preprocess;
  const out: string[] = [];
  // The format's kind: 'checkpoint' files carry the posterior (every EBP model `train` writes), 'inference' files do not.
  const kind = m.kind === 'checkpoint' ? 'model file with its posterior (checkpoint format)' : 'inference file';
  out.push(`${args.model}: ebp-bnn ${kind}, format version ${m.formatVersion}, ${m.fileBytes} bytes (${m.createdBy})`);
  out.push(fileKindLine(m));
  out.push(`network ${m.sizes.join('-')}, ${s.weights} weights, sign activations, ${s.parameters} parameters`);
  out.push('');
  if (packed && packed.zeroFraction !== undefined) {
    // ternary layers: 2 bits per weight (a +1 mask and a −1 mask), zero weights skipped
    out.push('layer  inputs  outputs  1-bit weights  2-bit weights  zero weights  real params  packed bytes  float32 bytes');
    for (const L of layers) {
      out.push(
        `${String(L.layer).padEnd(5)}  ${String(L.inputs).padStart(6)}  ${String(L.outputs).padStart(7)}  ${String(L.binaryParams).padStart(13)}  ${String(L.ternaryParams ?? 0).padStart(13)}  ${resultPct(L.ternaryParams ? L.zeroFraction : undefined).padStart(12)}  ${String(L.realParams).padStart(11)}  ${String(L.packedBytes).padStart(12)}  ${String(L.float32Bytes).padStart(13)}`,
      );
    }
    out.push(
      `packed network${packed.members > 1 ? ` (${packed.members} members)` : ''}: ${packed.packedBytes} bytes vs ${packed.float32Bytes} bytes as float32: ${packed.compression}x smaller ` +
        `(ternary: 2 bits per weight, ${resultPct(packed.zeroFraction)} of the weights are zero)`,
    );
  } else if (packed) {
    out.push('layer  inputs  outputs  1-bit weights  real params  packed bytes  float32 bytes');
    for (const L of layers) {
      out.push(
        `${String(L.layer).padEnd(5)}  ${String(L.inputs).padStart(6)}  ${String(L.outputs).padStart(7)}  ${String(L.binaryParams).padStart(13)}  ${String(L.realParams).padStart(11)}  ${String(L.packedBytes).padStart(12)}  ${String(L.float32Bytes).padStart(13)}`,
      );
    }
    out.push(
      `packed network${packed.members > 1 ? ` (${packed.members} members)` : ''}: ${packed.packedBytes} bytes vs ${packed.float32Bytes} bytes as float32: ${packed.compression}x smaller (XNOR/popcount inference)`,
    );
  } else {
    out.push('layer  inputs  outputs  parameters');
    for (const L of layers) out.push(`${String(L.layer).padEnd(5)}  ${String(L.inputs).padStart(6)}  ${String(L.outputs).padStart(7)}  ${String(L.realParams).padStart(10)}`);
    out.push(`no packed network: ${s.weights} weights have no 1-bit form; deterministic mode runs the float EBP-D network`);
  }
  const post = s.posterior as { bytes: number } | null;
  const steTrained = m.meta.training?.config.trainer === 'ste';
  if (post) out.push(`posterior: h and b as float64, ${post.bytes} bytes (probabilistic and ensemble modes, --resume)`);
  else if (steTrained) {
    out.push(
      m.meta.ste
        ? `STE state: latent weights, batch norm and Adam moments as float64, ${steStateBytes(m)} bytes (--resume); deterministic mode only`
        : 'STE model: the folded sign network (batch norm as thresholds, output scale and shift), no posterior: deterministic mode only',
    );
  } else out.push('posterior: not stored (deterministic mode only)');
  out.push('');
  out.push(`label column ${JSON.stringify(spec.label.name)}, ${spec.label.classes.length} classes: ${list(spec.label.classes)}`);
  const cats = spec.columns.filter((c) => c.kind === 'categorical');
  out.push(`input columns (${spec.columns.length}) -> ${s.inputs} inputs: ${list(spec.columns.map((c) => c.name), 8)}`);
  for (const c of cats) if (c.kind === 'categorical') out.push(`  categorical ${JSON.stringify(c.name)}: one-hot over ${c.categories.length} categories ${list(c.categories, 8)}`);
  const sc = spec.scaling;
  out.push(
    `preprocessing: ${sc.kind === 'none' ? 'raw values' : sc.kind === 'standardize' ? 'standardized (mean and std of the training rows)' : `binarized at ${sc.threshold} (x >= T -> +1, else -1)`}` +
      `; missing values: ${spec.impute === 'none' ? 'rejected' : `imputed with the training ${spec.impute}`}`,
  );
  const t = m.meta.training;
  if (t) {
    const c = t.config;
    const r = t.result;
    const v = c.validation;
    const steCfg = c.trainer === 'ste' ? `, lr ${c.lrStart} -> ${c.lrEnd}, ${c.batchNorm === false ? 'no batch norm' : 'batch norm'}, ${c.loss} loss` : '';
    out.push(
      `training: ${c.trainer.toUpperCase()}, ${r.epochsDone} of ${plural(c.epochs, 'epoch')}, batch ${c.batch}, seed ${c.seed}, hidden ${c.hidden.join(',')}${steCfg}, ` +
        `${r.rows} rows of ${c.trainFile}`,
    );
    if (v.kind !== 'none') {
      out.push(
        `validation: ${v.kind === 'split' ? `${r.validationRows} rows split off (--split ${v.fraction})` : `${r.validationRows} rows of ${v.file}`}, ` +
          (c.trainer === 'ste' ? `error STE ${resultPct(r.validationError)}` : `error EBP-P ${resultPct(r.validationErrorP)}, EBP-D ${resultPct(r.validationErrorD)}`),
      );
    }
    if (r.determinised) out.push(determinisedLine(r.determinised));
    if (r.modes) out.push(servedModeLine(r.modes, r.bestMode));
  }
  const lin = m.meta.lineage;
  if (lin?.prior) out.push(`trained from a prior: posterior ${lin.prior.slice(0, 12)}… (ebp merge checks it against --base)`);
  if (lin?.merge) out.push(`merged (${lin.merge.combine}) from ${plural(lin.merge.shards.length, 'shard')} of the base ${lin.merge.base.slice(0, 12)}…`);
  if (m.meta.state && m.meta.state.batchesDone > 0) out.push(`checkpoint: stopped after ${plural(m.meta.state.epochsDone, 'epoch')} and ${m.meta.state.batchesDone} minibatch${m.meta.state.batchesDone === 1 ? '' : 'es'} (resume with --resume)`);
  io.stdout(out.join('\n') + '\n');
  return 0;
}
