/**
 * Decimation: one deterministic binary network from an EBP posterior by fixing weights a share at a time
 * while EBP goes on (issue 11; the message-passing literature's "decimation", Braunstein & Zecchina 2006).
 *
 * Why: progressive determinisation fixes a whole layer at once, and on MNIST the layers above cannot win back
 * what the jump loses. Here a layer is fixed in rounds. Each round fixes the most certain half of its free
 * weights (largest |h|) at their most probable value, a point mass (h = ±H, variance 0), and then runs one
 * epoch of plain EBP (spec §7, no learning rate) on every layer, with the fixed weights held. The free weights
 * of the same layer and all the layers above absorb the change while it is still small. After the last round
 * of a layer its units see only point-mass weights, so its mean-field statistics are those of the sign unit
 * (σ̄² is the bias's unit variance alone, spec §1), and the layers above train on what the sign network
 * computes. Layers are decimated bottom up. The plain posterior is never changed. Every candidate (the
 * most probable weights after every round) is measured on the validation split, and the best is returned.
 * The schedule (halving the free share each round) is fixed, not tuned: what it controls, how far the
 * posterior moves per round, is what EBP's own epochs then repair.
 */
import type { Dataset } from '../data/dataset';
import type { PosteriorStore } from '../ebp/posterior';
import { EbpTrainer, evaluateErrors } from '../ebp/trainer';
import type { DeterminiseEpoch, DeterminiseReport, ProcedureResult, Resolved } from './options';
import { signLayers } from './layers';

/** The field of a fixed weight: tanh(40) is 1 in float64, so the weight's mean is ±1 and its variance ~1e-34. */
const FIXED_FIELD = 40;

/** The fixed weights of one layer: their indices and the h, mean, variance, map values they are held at. */
interface Held {
  idx: Int32Array;
  h: Float64Array;
  mean: Float64Array;
  variance: Float64Array;
  map: Float64Array;
}

/** @internal The decimation procedure; `plainD` is plain EBP-D's validation error (the candidate to beat). */
export function decimate(store: PosteriorStore, train: Dataset, o: Resolved, plainD: number): ProcedureResult {
  const { validation, batchSize, rounds, epochsPerRound, maxFixed } = o;
  const post = store.clone();
  const candidates: DeterminiseEpoch[] = [];
  const stages: DeterminiseReport['stages'] = [];
  let best = { fixed: 0, epoch: 0, share: 0, validationError: plainD, store };
  const held: Held[] = [];
  const trainer = new EbpTrainer(post, o.seed);
  // After every minibatch: the fixed weights back at their point masses (the update moved their h).
  const hold = (): void => {
    for (let l = 0; l < held.length; l++) {
      const H = held[l];
      const P = post.layers[l];
      for (let i = 0; i < H.idx.length; i++) {
        const j = H.idx[i];
        P.h[j] = H.h[i];
        P.mean[j] = H.mean[i];
        P.variance[j] = H.variance[i];
        P.map[j] = H.map[i];
      }
    }
  };
  for (let l = 0; l < maxFixed; l++) {
    const P = post.layers[l];
    const n = P.h.length;
    const fixed = new Uint8Array(n);
    let nFixed = 0;
    let stageBest = { epoch: 0, err: Infinity };
    for (let r = 1; r <= rounds; r++) {
      const target = r === rounds ? n : Math.round(n * (1 - 2 ** -r));
      // The most certain free weights first (largest |h|; ties by index, so the choice is reproducible).
      const free: number[] = [];
      for (let j = 0; j < n; j++) if (!fixed[j]) free.push(j);
      free.sort((a, b) => Math.abs(P.h[b]) - Math.abs(P.h[a]) || a - b);
      for (let i = 0; i < target - nFixed; i++) {
        const j = free[i];
        fixed[j] = 1;
        P.h[j] = P.h[j] < 0 ? -FIXED_FIELD : FIXED_FIELD;
      }
      nFixed = target;
      post.refresh(l);
      const idx = new Int32Array(nFixed);
      for (let j = 0, c = 0; j < n; j++) if (fixed[j]) idx[c++] = j;
      held[l] = {
        idx,
        h: Float64Array.from(idx, (j) => P.h[j]),
        mean: Float64Array.from(idx, (j) => P.mean[j]),
        variance: Float64Array.from(idx, (j) => P.variance[j]),
        map: Float64Array.from(idx, (j) => P.map[j]),
      };
      // epochsPerRound epochs of EBP, then more while the validation error keeps falling (at most maxEpochs).
      let roundBest = Infinity;
      for (let ep = 1; ep <= Math.max(epochsPerRound, o.maxEpochs); ep++) {
        const t1 = performance.now();
        trainer.fit(train, { epochs: 1, batchSize, trainError: 'none', onBatch: hold });
        const e = evaluateErrors(post, validation);
        const c: DeterminiseEpoch = {
          fixed: l + 1, share: nFixed / n, epoch: r, validationError: e.errorD, validationErrorP: e.errorP, seconds: (performance.now() - t1) / 1000,
        };
        candidates.push(c);
        o.onEpoch?.(c);
        if (c.validationError <= stageBest.err) stageBest = { epoch: r, err: c.validationError };
        if (c.validationError <= best.validationError) best = { fixed: l + 1, epoch: r, share: c.share!, validationError: c.validationError, store: post.clone() };
        const better = c.validationError < roundBest;
        roundBest = Math.min(roundBest, c.validationError);
        if (ep >= epochsPerRound && !better) break;
      }
    }
    stages.push({ fixed: l + 1, bestEpoch: stageBest.epoch, validationError: stageBest.err, epochs: rounds });
  }
  return {
    layers: signLayers(best.store),
    candidates,
    stages,
    chosen: { fixed: best.fixed, epoch: best.epoch, validationError: best.validationError, ...(best.fixed > 0 ? { share: best.share } : {}) },
  };
}
