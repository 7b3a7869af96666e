import * as path from 'path';
import { encodedFeatureNames } from '../../data/preprocess';
import { isDiscrete, type WeightKind } from '../../ebp/weights';
import type { CliIo } from '../io';
import { loadModel, type LoadedModel } from '../model-io';

/** Bits per weight of the inference network: 1 (binary, packed), 2 (discrete levels), 32 (Gaussian means). */
function bitsPerWeight(w: WeightKind): number {
  if (w === 'binary') return 1;
  if (isDiscrete(w)) return Math.max(1, Math.ceil(Math.log2(w.levels.length)));
  return 32;
}

function weightsName(w: WeightKind): string {
  if (!isDiscrete(w)) return w;
  if (w.levels.length === 3 && w.levels[0] === -1 && w.levels[1] === 0 && w.levels[2] === 1) return 'ternary';
  return `levels ${w.levels.join(',')}`;
}

/** The model summary as a plain object (the `--json` output). */
export function modelSummary(m: LoadedModel, shownAs: string): Record<string, unknown> {
  const bits = bitsPerWeight(m.weights);
  const layers = m.sizes.slice(1).map((outputs, l) => {
    const inputs = m.sizes[l];
    const words = Math.ceil((inputs * bits) / 32);
    return {
      layer: l,
      inputs,
      outputs,
      weights: inputs * outputs,
      bitsPerWeight: bits,
      weightBytes: bits === 32 ? inputs * outputs * 4 : outputs * words * 4,
      biasBytes: outputs * 4,
    };
  });
  const packed = layers.reduce((a, L) => a + L.weightBytes + L.biasBytes, 0);
  const float32 = layers.reduce((a, L) => a + (L.weights + L.outputs) * 4, 0);
  const spec = m.meta.preprocess;
  const t = m.meta.training;
  return {
    file: shownAs,
    bytes: m.fileBytes,
    formatVersion: m.formatVersion,
    createdBy: m.createdBy,
    sizes: m.sizes,
    weights: weightsName(m.weights),
    layers,
    parameters: layers.reduce((a, L) => a + L.weights + L.outputs, 0),
    inferenceBytes: packed,
    float32Bytes: float32,
    compression: Math.round((float32 / packed) * 100) / 100,
    posterior: m.store ? { dtype: 'float64', bytes: layers.reduce((a, L) => a + (L.weights + L.outputs) * 8, 0) } : null,
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
    resumable: Boolean(m.store && m.meta.state),
  };
}

function list(xs: string[], max = 12): string {
  const q = xs.map((s) => JSON.stringify(s));
  return q.length <= max ? q.join(', ') : `${q.slice(0, max).join(', ')}, ... (${q.length - max} more)`;
}

function pct(x: unknown): string {
  return typeof x === 'number' ? `${(100 * x).toFixed(2)}%` : '-';
}

/** `ebp inspect model.ebpb`: layers, bits, bytes, compression, preprocessing, classes, training metadata. */
export function inspectCommand(args: { model: string; json: boolean }, io: CliIo): number {
  const m = loadModel(path.resolve(io.cwd, args.model), args.model);
  const s = modelSummary(m, args.model);
  if (args.json) {
    io.stdout(JSON.stringify(s) + '\n');
    return 0;
  }
  const layers = s.layers as { layer: number; inputs: number; outputs: number; weights: number; bitsPerWeight: number; weightBytes: number; biasBytes: number }[];
  const spec = m.meta.preprocess;
  const out: string[] = [];
  out.push(`${args.model}: ebp-bnn model, format version ${m.formatVersion}, ${m.fileBytes} bytes (${m.createdBy})`);
  out.push(`network ${m.sizes.join('-')}, ${s.weights} weights, sign activations, ${s.parameters} parameters`);
  out.push('');
  out.push('layer  inputs  outputs  weights  bits/weight  weight bytes  bias bytes');
  for (const L of layers) {
    out.push(
      `${String(L.layer).padEnd(5)}  ${String(L.inputs).padStart(6)}  ${String(L.outputs).padStart(7)}  ${String(L.weights).padStart(7)}  ${String(L.bitsPerWeight).padStart(11)}  ${String(L.weightBytes).padStart(12)}  ${String(L.biasBytes).padStart(10)}`,
    );
  }
  out.push(`inference size ${s.inferenceBytes} bytes vs ${s.float32Bytes} bytes as float32: ${s.compression}x smaller`);
  const post = s.posterior as { bytes: number } | null;
  out.push(post ? `posterior: h and b as float64, ${post.bytes} bytes (probabilistic and ensemble modes, --resume)` : 'posterior: not stored (deterministic mode only)');
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
    out.push(
      `training: ${c.trainer.toUpperCase()}, ${r.epochsDone} of ${c.epochs} epochs, batch ${c.batch}, seed ${c.seed}, hidden ${c.hidden.join(',')}, ` +
        `${r.rows} rows of ${c.trainFile}`,
    );
    if (v.kind !== 'none') {
      out.push(
        `validation: ${v.kind === 'split' ? `${r.validationRows} rows split off (--split ${v.fraction})` : `${r.validationRows} rows of ${v.file}`}, ` +
          `error EBP-P ${pct(r.validationErrorP)}, EBP-D ${pct(r.validationErrorD)}`,
      );
    }
  }
  if (m.meta.state && m.meta.state.batchesDone > 0) out.push(`checkpoint: stopped after ${m.meta.state.epochsDone} epochs and ${m.meta.state.batchesDone} minibatches (resume with --resume)`);
  io.stdout(out.join('\n') + '\n');
  return 0;
}
