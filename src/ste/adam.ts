/**
 * Adam (Kingma & Ba 2015) exactly as PyTorch's `torch.optim.Adam` (no weight decay, no amsgrad) computes it,
 * in float64. For step t = 1, 2, ... with gradient g:
 *   m ← β1·m + (1−β1)·g,   v ← β2·v + ((1−β2)·g)·g,
 *   d = √v · (1/√(1 − β2^t)) + ε,   p ← p − (lr / (1 − β1^t))·(m / d).
 * (PyTorch divides √v by √(1 − β2^t); multiplying by the reciprocal saves a division per weight and differs by
 * at most an ulp or so of d.)
 * The weight matrices take the same step inside the kernels (src/kernels/ste-js.ts `adamUpdate`, followed by
 * the clip); this file serves the small per-neuron parameters (batch-norm γ and β, biases), and is the slow twin
 * the kernel is tested against.
 */
export interface AdamSettings {
  beta1: number;
  beta2: number;
  epsilon: number;
}

export const ADAM_DEFAULTS: Readonly<AdamSettings> = Object.freeze({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });

/** The per-step scalars of the update: step = lr/(1 − β1^t), ibc2 = 1/√(1 − β2^t). */
export interface AdamCoefficients {
  b1: number;
  c1: number;
  b2: number;
  c2: number;
  step: number;
  ibc2: number;
  eps: number;
}

export function adamCoefficients(lr: number, t: number, s: AdamSettings): AdamCoefficients {
  return {
    b1: s.beta1,
    c1: 1 - s.beta1,
    b2: s.beta2,
    c2: 1 - s.beta2,
    step: lr / (1 - Math.pow(s.beta1, t)),
    ibc2: 1 / Math.sqrt(1 - Math.pow(s.beta2, t)),
    eps: s.epsilon,
  };
}

/** One Adam step on `p` (in place) with gradient `g` and moment buffers `m`, `v` (in place), n = p.length. */
export function adamStep(p: Float64Array, g: ArrayLike<number>, m: Float64Array, v: Float64Array, c: AdamCoefficients): void {
  for (let i = 0; i < p.length; i++) {
    const gi = g[i];
    const mm = c.b1 * m[i] + c.c1 * gi;
    const vv = c.b2 * v[i] + c.c2 * gi * gi;
    const d = Math.sqrt(vv) * c.ibc2 + c.eps;
    m[i] = mm;
    v[i] = vv;
    p[i] = p[i] - c.step * (mm / d);
  }
}
