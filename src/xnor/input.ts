/**
 * How the first layer of a packed network reads real input rows.
 *
 * - `real`: the inputs as they are, with ±1 weights: sums of ±x_j, no multiplies. Equals the float
 *   sign network to rounding (the order of the additions differs).
 * - `bitplanes`: each input quantised to an unsigned `bits`-bit integer q_j, x̃_j = offset + scale·q_j,
 *   and Σ_j w_j q_j computed exactly from bit planes: Σ_b 2^b (popcount(plane_b) − 2·popcount(plane_b ∧ w))
 *   (Courbariaux, Hubara et al. 2016, the BNN paper's first layer). Exact for inputs on the grid, e.g.
 *   8-bit pixels: MNIST features p/255 with the default scale 1/255.
 * - `binarize`: x_j ≥ threshold_j → +1, else −1; the first layer is then XNOR/popcount like the others.
 *   This is a different network from the real-input one unless it was trained on binarised inputs.
 */
import { ArgumentError, ShapeError } from '../errors';

/** The user-facing description of the first layer's input. */
export type InputEncoding =
  | { type: 'real' }
  | { type: 'binarize'; /** One threshold for every input or one per input. Default 0. */ threshold?: number | ArrayLike<number> }
  | {
      type: 'bitplanes';
      /** Bits per input, 1..16. Default 8. */
      bits?: number;
      /** Grid step: x̃ = offset + scale·q. Default 1/(2^bits − 1), i.e. [0, 1] onto 0..2^bits − 1. */
      scale?: number;
      /** Grid origin. Default 0. */
      offset?: number;
    };

/** The validated, complete form kept by a network (and written to model files). */
export type ResolvedInput =
  | { readonly type: 'real' }
  | { readonly type: 'binarize'; readonly threshold: Float64Array }
  | { readonly type: 'bitplanes'; readonly bits: number; readonly scale: number; readonly offset: number };

export function resolveInput(enc: InputEncoding | undefined, K0: number): ResolvedInput {
  const e = enc ?? { type: 'real' };
  if (typeof e !== 'object' || e === null) {
    throw new ArgumentError(`invalid argument. \`input\` must be { type: 'real' | 'binarize' | 'bitplanes', ... }. Value: \`${String(e)}\`.`);
  }
  switch (e.type) {
    case 'real':
      return { type: 'real' };
    case 'binarize': {
      const t = e.threshold ?? 0;
      let threshold: Float64Array;
      if (typeof t === 'number') threshold = new Float64Array(K0).fill(t);
      else {
        if (t.length !== K0) {
          throw new ShapeError(`input.threshold has ${t.length} values but the first layer has ${K0} inputs.`, [t.length], [K0]);
        }
        threshold = Float64Array.from(t);
      }
      for (let j = 0; j < K0; j++) {
        if (Number.isNaN(threshold[j])) throw new ArgumentError(`invalid argument. \`input.threshold\` must not be NaN (input ${j}).`);
      }
      return { type: 'binarize', threshold };
    }
    case 'bitplanes': {
      const bits = e.bits ?? 8;
      if (!Number.isInteger(bits) || bits < 1 || bits > 16) {
        throw new ArgumentError(`invalid argument. \`input.bits\` must be an integer from 1 to 16. Value: \`${bits}\`.`);
      }
      const scale = e.scale ?? 1 / (2 ** bits - 1);
      const offset = e.offset ?? 0;
      if (!(scale > 0) || !Number.isFinite(scale)) {
        throw new ArgumentError(`invalid argument. \`input.scale\` must be a positive finite number. Value: \`${scale}\`.`);
      }
      if (!Number.isFinite(offset)) throw new ArgumentError(`invalid argument. \`input.offset\` must be finite. Value: \`${offset}\`.`);
      return { type: 'bitplanes', bits, scale, offset };
    }
    default:
      throw new ArgumentError(
        `invalid argument. \`input.type\` must be 'real', 'binarize' or 'bitplanes'. Value: \`${JSON.stringify((e as { type?: unknown }).type)}\`.`,
      );
  }
}
