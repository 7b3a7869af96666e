/**
 * The optimiser step of the STE network: Adam (adam.ts, PyTorch's formula) on every trained parameter with the
 * gradients of the last training pass, then the quantizer's latent-weight clip to [−1, 1] and fresh signs.
 *
 * The weight matrices take the step inside the `adamUpdate` kernel (Adam, clip and sign(W) in one pass over the
 * panel-layout arrays, learning rate lr × the layer's `weightLrScale`); the per-neuron γ and β (or biases) take
 * it in `adamStep` with the plain learning rate and no clip.
 */
import { adamCoefficients, adamStep } from './adam';
import type { SteStorage } from './layers';
import { STE_CLIP_VALUE } from './quantizer';

/** Adam step number `t` (1, 2, …) with learning rate `lr` on every parameter of `store`, then the clip. */
export function optimizerStep(store: SteStorage, lr: number, t: number): void {
  const { shapes, kernels, settings } = store;
  const small = adamCoefficients(lr, t, settings.adam);
  for (let l = 0; l < shapes.length; l++) {
    const { K, N, P } = shapes[l];
    const b = store.big[l];
    const c = adamCoefficients(lr * settings.weightLrScale[l], t, settings.adam);
    kernels.adamUpdate(b.w, b.m, b.v, b.g, b.s, b.st, K, N, P, c.b1, c.c1, c.b2, c.c2, c.step, c.ibc2, c.eps, STE_CLIP_VALUE);
    const sm = store.small[l];
    if (settings.batchNorm) {
      adamStep(sm.gamma, sm.dGamma, sm.mGamma, sm.vGamma, small);
      adamStep(sm.beta, sm.dBeta, sm.mBeta, sm.vBeta, small);
    } else {
      adamStep(sm.bias, sm.dBias, sm.mBias, sm.vBias, small);
    }
  }
  store.s64Fresh = false;
}
