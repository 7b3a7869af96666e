/**
 * A Larq-style profile of a packed network: per layer the number of 1-bit (binary), 2-bit (ternary)
 * and real (64-bit) parameters, the fraction of zero weights, and the bytes they take packed, against
 * the same parameters as float32.
 */
import { nonZeroPerRow } from './bitpack';
import type { ResolvedInput } from './input';
import type { XnorLayer } from './layers';

/** What a summary reads of a network: its layers and first-layer input (an `XnorNetwork`). */
export interface SummarySource {
  readonly layers: readonly XnorLayer[];
  readonly input: ResolvedInput;
}

/** One layer's line of a {@link ModelSummary}: its kind, input reading, parameter counts and bytes. */
export interface LayerSummary {
  index: number;
  type: 'binaryDense' | 'ternaryDense';
  /** How the layer reads its input: 'real', 'bitplanes' or 'binary' (packed ±1). */
  input: 'real' | 'bitplanes' | 'binary';
  inputs: number;
  outputs: number;
  /** 'sign' for hidden layers, 'scores' (W v + b, or (W v)·scale + b) for the output layer. */
  activation: 'sign' | 'scores';
  /** ±1 weights (1 bit each; binary layers). */
  binaryParams: number;
  /** {−1, 0, +1} weights (2 bits each: a +1 mask and a −1 mask; ternary layers). */
  ternaryParams: number;
  /** Fraction of the layer's weights that are 0 (0 for binary layers; for ensembles the mean over members). */
  zeroFraction: number;
  /** Real parameters (float64): biases, plus thresholds where a layer has them, plus the output scale where there is one. */
  realParams: number;
  /**
   * Packed storage: rows × ⌈inputs/32⌉ 32-bit words per mask (one for binary, two for ternary layers)
   * + 8 bytes per real parameter + 1 byte per flip flag.
   */
  packedBytes: number;
  /** The same parameters as float32: 4 bytes each. */
  float32Bytes: number;
}

/** A packed network's (or ensemble's) parameter and memory profile, as Larq's model summary: per layer and in total. */
export interface ModelSummary {
  layers: LayerSummary[];
  /** Ensemble members (1 for a single network); the totals cover all members. */
  members: number;
  binaryParams: number;
  ternaryParams: number;
  /** Zero weights over all layers and members. */
  zeroWeights: number;
  /** zeroWeights / (binaryParams + ternaryParams). */
  zeroFraction: number;
  realParams: number;
  totalParams: number;
  packedBytes: number;
  float32Bytes: number;
  /** float32Bytes / packedBytes. */
  compression: number;
}

/** Summary of one network, or of ensemble members (layers of member 0, totals over all). */
export function summarize(members: readonly SummarySource[]): ModelSummary {
  const net = members[0];
  const M = members.length;
  let zeroWeights = 0;
  const layers: LayerSummary[] = net.layers.map((L, l) => {
    const weights = L.inputs * L.outputs;
    const ternary = L.type === 'ternaryDense';
    let zeros = 0;
    if (ternary) {
      for (const m of members) {
        const T = m.layers[l];
        const nz = nonZeroPerRow(T.plus!.data, T.minus!.data, T.outputs, T.inputs);
        for (let k = 0; k < nz.length; k++) zeros += T.inputs - nz[k];
      }
    }
    zeroWeights += zeros;
    const realParams = L.outputs + (L.threshold ? L.outputs : 0) + (L.scale ? L.outputs : 0);
    const packedBytes = (ternary ? 2 : 1) * L.outputs * L.weights.wordsPerRow * 4 + realParams * 8 + (L.flip ? L.outputs : 0);
    const input = l > 0 || net.input.type === 'binarize' ? 'binary' : net.input.type;
    return {
      index: l,
      type: L.type,
      input,
      inputs: L.inputs,
      outputs: L.outputs,
      activation: l === net.layers.length - 1 ? 'scores' : 'sign',
      binaryParams: ternary ? 0 : weights,
      ternaryParams: ternary ? weights : 0,
      zeroFraction: weights > 0 ? zeros / (M * weights) : 0,
      realParams,
      packedBytes,
      float32Bytes: (weights + realParams) * 4,
    };
  });
  const sum = (f: (s: LayerSummary) => number) => M * layers.reduce((a, s) => a + f(s), 0);
  const packedBytes = sum((s) => s.packedBytes);
  const float32Bytes = sum((s) => s.float32Bytes);
  const weights = sum((s) => s.binaryParams + s.ternaryParams);
  return {
    layers,
    members: M,
    binaryParams: sum((s) => s.binaryParams),
    ternaryParams: sum((s) => s.ternaryParams),
    zeroWeights,
    zeroFraction: weights > 0 ? zeroWeights / weights : 0,
    realParams: sum((s) => s.realParams),
    totalParams: sum((s) => s.binaryParams + s.ternaryParams + s.realParams),
    packedBytes,
    float32Bytes,
    compression: float32Bytes / packedBytes,
  };
}

/**
 * A plain-text table of a summary (as `larq.models.summary`). Networks with ternary layers get two more
 * columns: the 2-bit parameters and the fraction of zero weights.
 */
export function formatSummary(s: ModelSummary): string {
  const tern = s.ternaryParams > 0;
  const head = ['Layer', 'Input', 'Shape', '# 1-bit', ...(tern ? ['# 2-bit', 'Zeros'] : []), '# 64-bit', 'Packed (kB)', 'float32 (kB)'];
  const kb = (b: number) => (b / 1000).toFixed(2);
  const pct = (f: number) => `${(100 * f).toFixed(1)}%`;
  const rows = s.layers.map((L) => [
    `${L.index} ${L.type}/${L.activation}`,
    L.input,
    `${L.inputs}→${L.outputs}`,
    String(L.binaryParams),
    ...(tern ? [String(L.ternaryParams), L.type === 'ternaryDense' ? pct(L.zeroFraction) : '-'] : []),
    String(L.realParams),
    kb(L.packedBytes),
    kb(L.float32Bytes),
  ]);
  if (s.members > 1) rows.push([`× ${s.members} members`, ...head.slice(1).map(() => '')]);
  rows.push([
    'Total', '', '', String(s.binaryParams), ...(tern ? [String(s.ternaryParams), pct(s.zeroFraction)] : []),
    String(s.realParams), kb(s.packedBytes), kb(s.float32Bytes),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const sep = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(head), sep, ...rows.slice(0, -1).map(line), sep, line(rows[rows.length - 1]), `Compression vs float32: ${s.compression.toFixed(1)}×`].join('\n');
}
