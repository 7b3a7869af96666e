/**
 * The STE network: one object over the concepts it is made of.
 *
 * - layers.ts — layers and storage: shapes, the panel layout, every array (JS heap or one WebAssembly heap);
 * - quantizer.ts — the `ste_sign` quantizer: sign forward, hard-tanh straight-through gradient, latent clip;
 * - training-pass.ts — forward with training-mode batch norm, loss, straight-through backward;
 * - optimizer.ts — the Adam step (adam.ts) with the clip;
 * - inference.ts — the float64 inference pass and its affine maps;
 * - serialise.ts — parameters and Adam moments out and in (the trainer's state()/setState() use them).
 *
 * Numerics: float64 everywhere except the three big matrix products of training, whose operands and sums are
 * float32 as in the PyTorch reference (training-pass.ts); inference (`predictInto`) is float64 throughout.
 */
import type { Rng } from '../util/random';
import { SteStorage, type LayerShape, type SteLayerGradients, type SteLayerMoments, type SteLayerParameters, type SteNetworkSettings } from './layers';
import { inferenceAffine, predictInto } from './inference';
import { optimizerStep } from './optimizer';
import { assertFinite, readMoments, readParameters, writeMoments, writeParameters } from './serialise';
import { forwardBackward, weightGradients } from './training-pass';

export type { SteBackend, SteNetworkSettings, SteLayerParameters, SteLayerMoments, SteLayerGradients } from './layers';
export { pidx } from './layers';

export class SteNetwork {
  readonly sizes: readonly number[];
  readonly settings: SteNetworkSettings;
  readonly shapes: readonly LayerShape[];
  /** Adam steps taken. */
  step = 0;
  private readonly store: SteStorage;

  constructor(settings: SteNetworkSettings, rng: Rng, capacity = 100) {
    this.settings = settings;
    this.store = new SteStorage(settings, capacity);
    this.sizes = this.store.sizes;
    this.shapes = this.store.shapes;
    this.store.drawLatentWeights(rng);
  }

  /** `'wasm'` when the arrays live in a WebAssembly heap run by the SIMD kernels, else `'js'`. */
  get backend(): 'js' | 'wasm' {
    return this.store.kernels.name;
  }

  get layers(): number {
    return this.shapes.length;
  }

  /** Make room for minibatches of `rows` rows (re-creates the heap when needed). */
  ensureCapacity(rows: number): void {
    this.store.ensureCapacity(rows);
  }

  // ------------------------------------------------------------------------------------------- training
  /** Input row `src[from .. from+K0)` (float32) into minibatch row `r`. */
  setInputRow(r: number, src: Float32Array, from: number): void {
    const K0 = this.sizes[0];
    this.store.x0.set(src.subarray(from, from + K0), r * K0);
  }

  /**
   * Forward and backward pass over minibatch rows 0..B−1 (loaded with setInputRow), labels
   * `labels[rows[r]]` (or `labels[r]` when rows is null). Training-mode batch normalisation; with
   * `updateRunning` the running statistics move. Leaves the gradients in place for {@link applyUpdate}.
   * Returns the batch loss and the number of rows whose argmax (first maximum) is not the label.
   */
  forwardBackward(B: number, labels: Int32Array, rows: Int32Array | null, updateRunning: boolean): { loss: number; errors: number } {
    return forwardBackward(this.store, B, labels, rows, updateRunning);
  }

  /** One Adam step with learning rate `lr` on every parameter (gradients of the last forwardBackward), then the clip. */
  applyUpdate(lr: number): void {
    this.step++;
    optimizerStep(this.store, lr, this.step);
  }

  /** The gradients left by the last forwardBackward, row-major copies. */
  gradients(): SteLayerGradients[] {
    return weightGradients(this.store);
  }

  // ------------------------------------------------------------------------------------------ inference
  /**
   * The inference affine map of layer l: output value = (W·v)·scale + shift, computed as one rounded product and
   * one rounded sum. Batch normalisation: scale = γ/√(running var + ε), shift = β − running mean·scale.
   * Without it: scale = 1/√(K+1), shift = bias·scale.
   */
  inferenceAffine(l: number): { scale: Float64Array; shift: Float64Array } {
    return inferenceAffine(this.store, l);
  }

  /**
   * The binary network's output values for `rows` rows of X (row-major float64, row r at xOff + r·xStride), into
   * out (row-major [rows, K_L]): hidden v = sign(a·scale + shift) (sign(0) = +1), a = sign(W)·v in float64 summed
   * in input order; last layer a·scale + shift.
   */
  predictInto(X: Float64Array, xOff: number, xStride: number, rows: number, out: Float64Array): void {
    predictInto(this.store, X, xOff, xStride, rows, out);
  }

  // ------------------------------------------------------------------------------------- serialisation
  parameters(): SteLayerParameters[] {
    return readParameters(this.store);
  }

  /** Replace parameters (any subset per layer); weights are clipped to [−1, 1]. Adam state is kept. */
  setParameters(layers: readonly Partial<SteLayerParameters>[]): void {
    writeParameters(this.store, layers);
  }

  /** The Adam moments of every layer (row-major copies); {@link step} is the step count. */
  moments(): SteLayerMoments[] {
    return readMoments(this.store);
  }

  /**
   * Replace the Adam moments (every array of every layer, as {@link moments} gives them; second moments ≥ 0)
   * and the step count.
   */
  setMoments(layers: readonly SteLayerMoments[], step: number): void {
    writeMoments(this.store, layers, step);
    this.step = step;
  }

  /** Throws a NumericError when a parameter is not finite. */
  assertFinite(where: string): void {
    assertFinite(this.store, where);
  }
}
