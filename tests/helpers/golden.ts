// Golden-vector checks shared by the binary/Gaussian and the discrete-weight tests.
import { PosteriorStore, meanFieldForward, ebpStep, ebpGradients, matrix, toRows, type Matrix } from '../../src';
import { normCdf } from '../../src/special';

export type Nested = number | Nested[];

function flat(x: Nested): number[] {
  return Array.isArray(x) ? x.flatMap(flat) : [x];
}

function values(x: Matrix | Float64Array | Int32Array | number[] | number): number[] {
  if (typeof x === 'number') return [x];
  if (Array.isArray(x) || x instanceof Float64Array || x instanceof Int32Array) return Array.from(x);
  return toRows(x).flat();
}

export function expectGolden(actual: Matrix | Float64Array | Int32Array | number[] | number, expected: Nested, what: string): void {
  const a = values(actual);
  const e = flat(expected);
  expect(a.length).toBe(e.length);
  for (let i = 0; i < e.length; i++) {
    const tol = Math.max(1e-12, 1e-12 * Math.abs(e[i]));
    if (!(Math.abs(a[i] - e[i]) <= tol)) {
      throw new Error(`${what}[${i}]: got ${a[i]}, expected ${e[i]} (|diff| ${Math.abs(a[i] - e[i])} > ${tol})`);
    }
  }
}

export interface ForwardRec { mu_in: Nested; ubar: Nested; var: Nested; p_plus: Nested; mu_out: Nested }
export interface StepRec {
  forward: ForwardRec[];
  output: { P_v_plus: Nested; P_y_given_x: Nested; log_marginal_likelihood: number };
  delta: Nested[];
  grad_mean_w?: Nested[];
  grad_b?: Nested[];
  after: { h: Nested[]; b: Nested[]; mean_w?: Nested[] };
}

/** Check forward, output, deltas and gradients before a step, then the step and the parameters after it. */
export function checkStep(store: PosteriorStore, X: number[][], Y: number[][], rec: StepRec, name: string): void {
  const fw = meanFieldForward(store, matrix(X));
  rec.forward.forEach((f, l) => {
    const got = fw.layers[l];
    expectGolden(got.muIn, f.mu_in, `${name}.forward[${l}].mu_in`);
    expectGolden(got.ubar, f.ubar, `${name}.forward[${l}].ubar`);
    expectGolden(got.sigma2, f.var, `${name}.forward[${l}].var`);
    expect(got.variance).toBe(got.sigma2); // the deprecated alias is the same array
    expectGolden(got.pPlus, f.p_plus, `${name}.forward[${l}].p_plus`);
    expectGolden(got.muOut, f.mu_out, `${name}.forward[${l}].mu_out`);
  });
  const out = fw.layers[fw.layers.length - 1];
  expectGolden(out.pPlus, rec.output.P_v_plus, `${name}.output.P_v_plus`);
  const pyx = toRows(out.ubar).map((row, n) => row.map((u, k) => normCdf((Y[n][k] * u) / Math.sqrt(out.sigma2.get(n, k)))));
  expectGolden(pyx.flat(), rec.output.P_y_given_x, `${name}.output.P_y_given_x`);

  const g = ebpGradients(store, matrix(X), matrix(Y));
  expectGolden(g.logMarginal, rec.output.log_marginal_likelihood, `${name}.log_marginal_likelihood`);
  rec.delta.forEach((d, l) => expectGolden(g.delta[l], d, `${name}.delta[${l}]`));
  rec.grad_mean_w?.forEach((gw, l) => expectGolden(g.gradMean[l], gw, `${name}.grad_mean_w[${l}]`));
  rec.grad_b?.forEach((gb, l) => expectGolden(g.gradBias[l], gb, `${name}.grad_b[${l}]`));

  const { logMarginal } = ebpStep(store, matrix(X), matrix(Y));
  expectGolden(logMarginal, rec.output.log_marginal_likelihood, `${name}.step logMarginal`);
  rec.after.h.forEach((h, l) => expectGolden(store.field(l), h, `${name}.after.h[${l}]`));
  rec.after.b.forEach((b, l) => expectGolden(store.layers[l].b, b, `${name}.after.b[${l}]`));
  rec.after.mean_w?.forEach((m, l) => expectGolden(store.meanWeights(l), m, `${name}.after.mean_w[${l}]`));
}

