/**
 * The `.ebpb` model file: constants and the JSON header's schema (see docs/model-format.md).
 *
 * ```
 * offset 0        8 bytes  magic "EBPBNN\0\0"
 * offset 8        u32 LE   format version (1, or 2 with an output scale)
 * offset 12       u32 LE   header byte length H
 * offset 16       u32 LE   payload byte length P
 * offset 20       u32 LE   flags (0; reserved)
 * offset 24       H bytes  UTF-8 JSON header, then zero bytes up to a multiple of 8
 * offset S        P bytes  payload: tensors at header-declared byteOffsets (8-byte aligned, from S),
 *                          little-endian, zero bytes between them          (S = 24 + H rounded up to 8)
 * offset S + P    u32 LE   CRC-32 of bytes [0, S + P)
 * ```
 */

/** "EBPBNN\0\0". */
export const MAGIC: readonly number[] = Object.freeze([0x45, 0x42, 0x50, 0x42, 0x4e, 0x4e, 0x00, 0x00]);
/**
 * The newest format version this library reads. Files are written with the lowest version that holds them:
 * 1, or 2 when an output layer has a `scale` (STE networks), so that version-1 readers, which would ignore
 * the scale and misread the scores, refuse such files instead (see docs/model-format.md, Compatibility).
 */
export const FORMAT_VERSION = 2;
/** The version of files without an output scale. */
export const BASE_FORMAT_VERSION = 1;
/** The first version with the output layer's `scale`. */
export const SCALE_FORMAT_VERSION = 2;
export const PREAMBLE_BYTES = 24;
export const CHECKSUM_BYTES = 4;
/** Written into the header's `createdBy`. */
export const CREATED_BY = 'ebp-bnn@0.1.0';

/** Element types of payload tensors. `bits`: rows packed on their own into u32 words (LCE conventions). */
export type Dtype = 'bits' | 'float64' | 'float32' | 'int32' | 'uint8';

export const DTYPES: readonly Dtype[] = Object.freeze(['bits', 'float64', 'float32', 'int32', 'uint8']);

/**
 * Bytes of a tensor of this dtype and shape. `bits`: shape [..., rows, cols], every row packed on its
 * own → (product of all but the last dimension)·⌈cols/32⌉·4.
 */
export function tensorBytes(dtype: Dtype, shape: readonly number[]): number {
  if (dtype === 'bits') return shape.slice(0, -1).reduce((a, s) => a * s, 1) * Math.ceil(shape[shape.length - 1] / 32) * 4;
  const n = shape.reduce((a, s) => a * s, 1);
  return n * (dtype === 'float64' ? 8 : dtype === 'uint8' ? 1 : 4);
}

/** One tensor of a model file's payload, as its JSON header lists it (docs/model-format.md). */
export interface TensorEntry {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** From the start of the payload; a multiple of 8. */
  byteOffset: number;
  byteLength: number;
  /** 'network' (inference), 'posterior' (training checkpoint), 'input', 'meta'. */
  group?: string;
}

/** One layer in the header. Tensor fields hold tensor names. */
export interface LayerEntry {
  /** 'binaryDense' (±1 weights, `weights`) or 'ternaryDense' ({−1, 0, +1} weights, `plus` and `minus`). */
  type: 'binaryDense' | 'ternaryDense';
  inputs: number;
  outputs: number;
  /** 'sign' for hidden layers, 'none' for the output layer (scores = W v + b). */
  activation: 'sign' | 'none';
  /** binaryDense: bits [outputs, inputs], bit 1 = −1. */
  weights?: string;
  /** ternaryDense: bits [outputs, inputs], bit 1 where the weight is +1. */
  plus?: string;
  /** ternaryDense: bits [outputs, inputs], bit 1 where the weight is −1; disjoint from `plus`. */
  minus?: string;
  bias: string;
  /** Hidden layers: v = +1 iff pre ≥ threshold (pre ≤ threshold where flip = 1) instead of sign(pre + bias). */
  threshold?: string;
  flip?: string;
  /** Output layer, format version ≥ 2: scores = pre·scale + bias (float64 [outputs]); absent = 1. */
  scale?: string;
}

export type InputEntry =
  | { type: 'real' }
  | { type: 'binarize'; /** a number (same for all inputs) or a float64 tensor [K_0] */ threshold: number | string }
  | { type: 'bitplanes'; bits: number; scale: number; offset: number };

export interface PosteriorEntry {
  /** 'binary' | 'gaussian' | { levels, prior } (the PosteriorStore's weight kind). */
  weights: unknown;
  weightVariance?: number;
  sizes: number[];
  /** float64 h [outputs, inputs] and b [outputs] per layer. */
  layers: { h: string; b: string }[];
}

/** The JSON header of a `.ebpb` file: format, version, kind, packing conventions, input encoding, layers and tensors (docs/model-format.md). */
export interface ModelHeader {
  format: 'ebp-bnn';
  version: number;
  /** 'inference' (packed network only) or 'checkpoint' (with the posterior group). */
  kind: 'inference' | 'checkpoint';
  createdBy: string;
  packing: { wordBits: 32; bitOrder: 'lsb-first'; oneMeans: -1; padding: 'zero'; rowAligned: true };
  input?: InputEntry;
  /** A single network... */
  layers?: LayerEntry[];
  /**
   * ...or an ensemble of `members` networks of the same widths, combined by the mean of their sign
   * outputs; its layers' tensors are stacked over the members (a leading dimension of size `members`).
   */
  ensemble?: { combine: 'meanSign'; members: number; layers: LayerEntry[] };
  posterior?: PosteriorEntry;
  classNames?: string[];
  featureNames?: string[];
  preprocess?: unknown;
  training?: unknown;
  extra?: unknown;
  tensors: TensorEntry[];
}

/**
 * A JSON value, where typed arrays are allowed too: they are stored as binary tensors (group 'meta')
 * and come back as the same typed array. Non-finite numbers are kept ({"$number": "NaN"} in the header).
 * Objects whose only key is "$tensor" or "$number" are reserved.
 */
export type MetaValue =
  | null
  | boolean
  | number
  | string
  | Float64Array
  | Float32Array
  | Int32Array
  | Uint8Array
  | MetaValue[]
  | { [key: string]: MetaValue };

/** Training metadata (for reports and resuming). */
export interface TrainingMeta {
  trainer: 'ebp' | 'ste';
  epochs?: number;
  seed?: number;
  /** The trainer's RNG state (Rng.getState(); a NaN element is kept). */
  rngState?: number[];
  [key: string]: MetaValue | undefined;
}

/** What a model file carries besides the network and the posterior. */
export interface ModelMeta {
  /** One per class: K_L names, or 2 for a single-output network (class 0 = negative). */
  classNames?: string[];
  featureNames?: string[];
  /** How raw rows become network inputs (standardize mean/std, imputation values, one-hot maps, ...). */
  preprocess?: MetaValue;
  training?: TrainingMeta;
  /** Anything else. */
  extra?: { [key: string]: MetaValue };
}

/** Little-endian host? (Typed-array views are then used directly; otherwise DataView loops.) */
export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
