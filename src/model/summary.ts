/**
 * A Larq-style profile of a packed network: per layer the number of 1-bit and of real (64-bit)
 * parameters and the bytes they take packed, against the same parameters as float32.
 */
import type { XnorNetwork } from '../xnor/network';

export interface LayerSummary {
  index: number;
  type: 'binaryDense';
  /** How the layer reads its input: 'real', 'bitplanes' or 'binary' (packed ±1). */
  input: 'real' | 'bitplanes' | 'binary';
  inputs: number;
  outputs: number;
  /** 'sign' for hidden layers, 'scores' (W v + b) for the output layer. */
  activation: 'sign' | 'scores';
  /** ±1 weights. */
  binaryParams: number;
  /** Real parameters (float64): biases, plus thresholds where a layer has them. */
  realParams: number;
  /** Packed storage: rows × ⌈inputs/32⌉ 32-bit words + 8 bytes per real parameter + 1 byte per flip flag. */
  packedBytes: number;
  /** The same parameters as float32: 4 bytes each. */
  float32Bytes: number;
}

export interface ModelSummary {
  layers: LayerSummary[];
  /** Ensemble members (1 for a single network); the totals cover all members. */
  members: number;
  binaryParams: number;
  realParams: number;
  totalParams: number;
  packedBytes: number;
  float32Bytes: number;
  /** float32Bytes / packedBytes. */
  compression: number;
}

/** Summary of one network, or of ensemble members (layers of member 0, totals over all). */
export function summarize(members: readonly XnorNetwork[]): ModelSummary {
  const net = members[0];
  const layers: LayerSummary[] = net.layers.map((L, l) => {
    const binaryParams = L.inputs * L.outputs;
    const realParams = L.outputs + (L.threshold ? L.outputs : 0);
    const packedBytes = L.outputs * L.weights.wordsPerRow * 4 + realParams * 8 + (L.flip ? L.outputs : 0);
    const input = l > 0 || net.input.type === 'binarize' ? 'binary' : net.input.type;
    return {
      index: l,
      type: 'binaryDense',
      input,
      inputs: L.inputs,
      outputs: L.outputs,
      activation: l === net.layers.length - 1 ? 'scores' : 'sign',
      binaryParams,
      realParams,
      packedBytes,
      float32Bytes: (binaryParams + realParams) * 4,
    };
  });
  const M = members.length;
  const sum = (f: (s: LayerSummary) => number) => M * layers.reduce((a, s) => a + f(s), 0);
  const packedBytes = sum((s) => s.packedBytes);
  const float32Bytes = sum((s) => s.float32Bytes);
  return {
    layers,
    members: M,
    binaryParams: sum((s) => s.binaryParams),
    realParams: sum((s) => s.realParams),
    totalParams: sum((s) => s.binaryParams + s.realParams),
    packedBytes,
    float32Bytes,
    compression: float32Bytes / packedBytes,
  };
}

/** A plain-text table of a summary (as `larq.models.summary`). */
export function formatSummary(s: ModelSummary): string {
  const head = ['Layer', 'Input', 'Shape', '# 1-bit', '# 64-bit', 'Packed (kB)', 'float32 (kB)'];
  const kb = (b: number) => (b / 1000).toFixed(2);
  const rows = s.layers.map((L) => [
    `${L.index} binaryDense/${L.activation}`,
    L.input,
    `${L.inputs}→${L.outputs}`,
    String(L.binaryParams),
    String(L.realParams),
    kb(L.packedBytes),
    kb(L.float32Bytes),
  ]);
  if (s.members > 1) rows.push([`× ${s.members} members`, '', '', '', '', '', '']);
  rows.push(['Total', '', '', String(s.binaryParams), String(s.realParams), kb(s.packedBytes), kb(s.float32Bytes)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const sep = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(head), sep, ...rows.slice(0, -1).map(line), sep, line(rows[rows.length - 1]), `Compression vs float32: ${s.compression.toFixed(1)}×`].join('\n');
}
