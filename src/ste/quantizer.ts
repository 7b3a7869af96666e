/**
 * The STE sign quantizer, `ste_sign` in larq's sense: one named set of the forward binarisation, its
 * straight-through gradient and the clip of the latent weights, used for every sign in the STE network.
 *
 * Forward (sign binarisation, sign(0) = +1):
 *
 *     q(x) = −1  if x < 0
 *            +1  if x ≥ 0
 *
 * Backward (the straight-through estimator: the binarisation is replaced by a clipped identity, i.e. the
 * derivative of the hard tanh):
 *
 *     ∂q/∂x = 1  if |x| ≤ clipValue
 *             0  if |x| > clipValue          (clipValue = 1; NaN passes nothing)
 *
 * Latent-weight clip (larq's `WeightClip` constraint with the same clip value), applied after every optimiser
 * step and to weights set from outside:  w ← min(max(w, −clipValue), clipValue).
 *
 * Where it acts.
 * - Hidden activations v = q(z): forward in `quantizeActivations` (no batch norm) and in the `bnForward`
 *   kernel's sign output (batch norm); backward through `activationGradient`, the `htanhGrad` kernel.
 * - Weights sign(W) = q(W): the latent weights stay in [−clipValue, clipValue] (U(−1, 1) at start, clipped
 *   after every step by the `adamUpdate` kernel, which also writes q(W)), so the clipped-identity gradient is 1
 *   for every weight: ∂L/∂W = ∂L/∂q(W), the identity STE of the PyTorch reference, with no mask to apply.
 * - Inference and the folded sign network use the same forward q.
 *
 * The scalar functions below are the definition; the kernels (src/kernels/ste-js.ts and wasm/ste_kernels.c) run
 * the same comparisons on whole arrays, and tests/unit/kernels/ste-kernels.test.ts checks them against these.
 *
 * Reference: Hubara, Courbariaux, Soudry, El-Yaniv & Bengio (2016), *Binarized Neural Networks: Training Deep
 * Neural Networks with Weights and Activations Constrained to +1 or −1*, arXiv:1602.02830; larq's
 * `larq.quantizers.SteSign` / `ste_sign` and `larq.constraints.WeightClip` follow the same rule.
 */
import type { SteKernels } from '../kernels/ste';

/** The clip value of the straight-through gradient and of the latent weights. */
export const STE_CLIP_VALUE = 1;

/** Forward: q(x) = +1 for x ≥ 0 (sign(0) = +1, also for −0), −1 otherwise. */
export function steSign(x: number): number {
  return x >= 0 ? 1 : -1;
}

/** Backward: the upstream gradient `dy` where |x| ≤ clipValue, else 0 (hard-tanh straight-through gradient). */
export function steSignGradient(x: number, dy: number, clipValue: number = STE_CLIP_VALUE): number {
  return x <= clipValue && x >= -clipValue ? dy : 0;
}

/** The latent-weight clip: w limited to [−clipValue, clipValue]. */
export function clipLatent(w: number, clipValue: number = STE_CLIP_VALUE): number {
  return Math.min(Math.max(w, -clipValue), clipValue);
}

/** The quantizer as one object, larq-style: its name, clip value, forward, gradient and latent clip. */
export interface SteQuantizer {
  readonly name: 'ste_sign';
  readonly clipValue: number;
  /** sign(x), with sign(0) = +1. */
  forward(x: number): number;
  /** The straight-through gradient: dy where |x| ≤ clipValue, else 0. */
  gradient(x: number, dy: number): number;
  /** A latent weight clipped to [−clipValue, clipValue]. */
  clip(w: number): number;
}

/** `ste_sign` with clip value {@link STE_CLIP_VALUE}, as one {@link SteQuantizer} object. */
export const steSignQuantizer: SteQuantizer = Object.freeze({
  name: 'ste_sign' as const,
  clipValue: STE_CLIP_VALUE,
  forward: steSign,
  gradient: (x: number, dy: number) => steSignGradient(x, dy, STE_CLIP_VALUE),
  clip: (w: number) => clipLatent(w, STE_CLIP_VALUE),
});

/** Forward on an array: dst[e] = q(src[e]) for e < n. */
export function quantizeInto(src: ArrayLike<number>, dst: Float32Array | Float64Array, n: number): void {
  for (let e = 0; e < n; e++) dst[e] = steSign(src[e]);
}

/** Forward on activations: h(m, n) = q(z(m, n)), z row-major [B, N], h rows of width Np. */
export function quantizeActivations(z: Float64Array, h: Float32Array, B: number, N: number, Np: number): void {
  for (let m = 0; m < B; m++) {
    const o = m * Np;
    const r = m * N;
    for (let n = 0; n < N; n++) h[o + n] = steSign(z[r + n]);
  }
}

/**
 * Backward on activations: dz(m, k) = ∂q/∂z(m, k) · dH(m, k) (z, dz row-major [B, K], dH rows of width ldh),
 * run by the kernel set's `htanhGrad` (clip value 1).
 */
export function activationGradient(kernels: SteKernels, z: Float64Array, dH: Float32Array, ldh: number, dz: Float64Array, B: number, K: number): void {
  kernels.htanhGrad(z, dH, ldh, dz, B, K);
}
