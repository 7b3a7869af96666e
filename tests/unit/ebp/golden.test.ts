// Golden vectors from an independent float64 implementation of the spec (../shared/anchors/ebp_ref.py),
// matched to max(1e-12, 1e-12·|expected|) as the spec requires.
import binary from '../../fixtures/golden/golden_binary.json';
import gaussian from '../../fixtures/golden/golden_gaussian.json';
import { PosteriorStore, predict, matrix } from '../../../src';
import { checkStep, expectGolden, type StepRec } from '../../helpers/golden';

describe.each([
  ['binary', 'wasm'],
  ['binary', 'js'],
  ['gaussian', 'wasm'],
  ['gaussian', 'js'],
] as const)('golden vectors (%s weights, %s kernels)', (kind, backend) => {
  const gold = kind === 'binary' ? binary : gaussian;
  const g = gold as unknown as {
    weight_type: 'binary' | 'gaussian';
    sizes: number[];
    initial: { h: number[][][]; b: number[][]; mean_w: number[][][] };
    X: number[][];
    Y: number[][];
    step1: StepRec;
    step2: StepRec;
    batch_of_2: StepRec;
    after_step2_predictions: { EBP_P: number[][]; EBP_D: number[][]; EBP_P_class: number[]; EBP_D_class: number[] };
  };
  const fresh = () => {
    const store = PosteriorStore.fromParameters({ weights: g.weight_type, h: g.initial.h, b: g.initial.b, backend });
    expect(store.backend).toBe(backend);
    return store;
  };

  test('initial moments', () => {
    const store = fresh();
    expect(store.weights).toBe(kind);
    expect(store.sizes).toEqual(g.sizes);
    g.initial.mean_w.forEach((m, l) => expectGolden(store.meanWeights(l), m, `initial.mean_w[${l}]`));
  });

  test('step1, step2 (online) and predictions after step2', () => {
    const store = fresh();
    checkStep(store, [g.X[0]], [g.Y[0]], g.step1, 'step1');
    checkStep(store, [g.X[1]], [g.Y[1]], g.step2, 'step2');
    const P = predict(store, matrix(g.X), 'probabilistic');
    const D = predict(store, matrix(g.X), 'deterministic');
    const pr = g.after_step2_predictions;
    expectGolden(P.scores, pr.EBP_P, 'EBP_P');
    expectGolden(D.scores, pr.EBP_D, 'EBP_D');
    expect(Array.from(P.classes)).toEqual(pr.EBP_P_class);
    expect(Array.from(D.classes)).toEqual(pr.EBP_D_class);
  });

  test('batch_of_2: increments summed over the minibatch', () => {
    checkStep(fresh(), g.X, g.Y, g.batch_of_2, 'batch_of_2');
  });

  test('toJSON round trip', () => {
    const store = fresh();
    const json = store.toJSON();
    expect(json.weights).toBe(kind);
    expect(json.sizes).toEqual(g.sizes);
    expect(json.h).toEqual(g.initial.h);
    expect(json.b).toEqual(g.initial.b);
    expect(PosteriorStore.fromJSON(JSON.parse(JSON.stringify(json))).toJSON()).toEqual(json);
  });
});

describe.each(['wasm', 'js'] as const)('golden tail case (y·μ̄/σ̄ ≈ −66, %s kernels)', (backend) => {
  const tail = (binary as unknown as { tail_case: Record<string, StepRec & { initial: { h: number[][][]; b: number[][] }; X: number[][]; Y: number[][] }> }).tail_case;
  test.each(Object.keys(tail))('%s', (name) => {
    const c = tail[name];
    const store = PosteriorStore.fromParameters({ weights: 'binary', h: c.initial.h, b: c.initial.b, backend });
    checkStep(store, c.X, c.Y, c, `tail_case.${name}`);
    // Φ(y z) underflows to 0 here while log Z stays finite (about −2164).
    expect(Number.isFinite(c.output.log_marginal_likelihood)).toBe(true);
    store.assertFinite();
  });
});
