import { MetricsAccumulator, poolReliability, reliabilityCurve } from '../../../src/eval/metrics';
import {
  applyFloor, codeProbabilities, ebpCodeProbabilities, ensembleMarginals, logOddsOf, normalisedMarginals, oneHot, probitLogOdds, softmaxScores,
} from '../../../src/eval/probability';
import { evaluateProbabilities } from '../../../src/compare/metrics';
import { decideRows } from '../../../src/util/decide';
import { meanStd, median, seriesMeanStd } from '../../../src/compare/stats';
import { createRng } from '../../../src/util/random';

const close = (a: number, b: number, rel = 1e-12) => expect(Math.abs(a - b)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(b)));

describe('probability rules', () => {
  test('probit log-odds log Φ(z) − log Φ(−z), against values computed independently (Python erfc, mpmath)', () => {
    close(probitLogOdds(1, 1), 1.6682678659858134, 1e-13);
    close(probitLogOdds(-2.5, 1), -5.07541925179283, 1e-13);
    close(probitLogOdds(0.6, 4), 0.48069265658036925, 1e-13); // z = 0.3
    close(probitLogOdds(10, 1), 53.23128515051247, 1e-12); // Φ(10) rounds to 1: needs log space
    close(probitLogOdds(-30, 1), -454.3212439563432, 1e-12);
    expect(probitLogOdds(0, 1)).toBe(0);
    expect(probitLogOdds(1, 0)).toBe(Infinity);
    expect(probitLogOdds(-1, 0)).toBe(-Infinity);
  });

  test('code likelihood: q_c ∝ p_c/(1 − p_c), by hand and by enumerating P(v = t_c) = p_c Π_{j≠c}(1 − p_j)', () => {
    const q = codeProbabilities(logOddsOf([0.9, 0.5, 0.1]), 1, 3);
    // odds 9, 1, 1/9; sum 91/9
    close(q[0], 81 / 91);
    close(q[1], 9 / 91);
    close(q[2], 1 / 91);
    const rng = createRng(3);
    for (let t = 0; t < 50; t++) {
      const K = 2 + rng.int(9);
      const p = Array.from({ length: K }, () => 0.01 + 0.98 * rng.next());
      const lik = p.map((pc, c) => pc * p.reduce((a, pj, j) => (j === c ? a : a * (1 - pj)), 1));
      const s = lik.reduce((a, b) => a + b, 0);
      const got = codeProbabilities(logOddsOf(p), 1, K);
      lik.forEach((l, c) => close(got[c], l / s, 1e-12));
    }
  });

  test('code likelihood with one output is (1 − p, p); infinite log-odds share the mass', () => {
    const q = codeProbabilities(logOddsOf([0.8, 0, 1]), 3, 1);
    close(q[0], 0.2);
    close(q[1], 0.8);
    expect(Array.from(q.subarray(2))).toEqual([1, 0, 0, 1]);
    expect(Array.from(codeProbabilities([Infinity, 3, Infinity], 1, 3))).toEqual([0.5, 0, 0.5]);
    expect(Array.from(codeProbabilities([-Infinity, -Infinity], 1, 2))).toEqual([0.5, 0.5]);
  });

  test('EBP-P probabilities from μ̄ and σ̄² equal the code rule on Φ(μ̄/σ̄)', () => {
    const ubar = [1, -2, 0.5, 3, 0, -1];
    const variance = [1, 4, 0.25, 9, 1, 1];
    const q = ebpCodeProbabilities(ubar, variance, 2, 3);
    const Phi = [0.8413447460685429, 0.15865525393145707, 0.8413447460685429, 0.8413447460685429, 0.5, 0.15865525393145707];
    const ref = codeProbabilities(logOddsOf(Phi), 2, 3);
    q.forEach((v, i) => close(v, ref[i], 1e-14));
  });

  test('ensemble marginals: Krichevsky–Trofimov (n + ½)/(M + 1)', () => {
    const p = ensembleMarginals([1, -1, 0, 0.25], 16);
    close(p[0], 16.5 / 17);
    close(p[1], 0.5 / 17);
    close(p[2], 0.5);
    close(p[3], 10.5 / 17);
  });

  test('normalised marginals, one-hot, softmax, floor, argmax', () => {
    const q = normalisedMarginals([0.9, 0.5, 0.1, 0, 0, 0], 2, 3);
    close(q[0], 0.9 / 1.5);
    close(q[1], 0.5 / 1.5);
    expect(Array.from(q.subarray(3))).toEqual([1 / 3, 1 / 3, 1 / 3]);
    expect(Array.from(oneHot([2, 0], 3))).toEqual([0, 0, 1, 1, 0, 0]);
    const s = softmaxScores([0, Math.log(3)], 1, 2);
    close(s[0], 0.25);
    close(s[1], 0.75);
    const f = applyFloor(oneHot([0], 10), 1, 10, 1e-3);
    close(f[0], 1 / 1.009);
    close(f[5], 1e-3 / 1.009);
    close(f.reduce((a, b) => a + b, 0), 1);
    const g = applyFloor([0.5, 0.5, 0], 1, 3, 0.1); // 0.5, 0.5, 0.1 → /1.1
    close(g[2], 0.1 / 1.1);
    expect(Array.from(decideRows([1, 3, 3, 2, 0, 2], 2, 3))).toEqual([1, 0]);
  });
});

describe('scores', () => {
  // 4 rows, 3 classes, worked out by hand:
  // NLL = −(ln .7 + ln .3 + ln .8 + ln .33)/4; Brier = (.14 + .78 + .06 + .6734)/4;
  // top confidences .7 (bin 10, right), .5 (bin 7, wrong), .8 (bin 12, right), .34 (bin 5, wrong):
  // ECE = (.3 + .5 + .2 + .34)/4 = .335.
  const q = Float64Array.from([0.7, 0.2, 0.1, 0.5, 0.3, 0.2, 0.1, 0.1, 0.8, 0.34, 0.33, 0.33]);
  const labels = Int32Array.from([0, 1, 2, 2]);
  const classes = Int32Array.from([0, 0, 2, 0]);

  test('NLL, Brier, ECE, error and confusion on a hand-computed case', () => {
    const m = evaluateProbabilities(q, labels, classes, 3);
    close(m.nll, -(Math.log(0.7) + Math.log(0.3) + Math.log(0.8) + Math.log(0.33)) / 4);
    close(m.brier, (0.14 + 0.78 + 0.06 + 0.6734) / 4);
    close(m.ece, 0.335);
    expect(m.error).toBe(0.5);
    expect(m.confusion).toEqual([
      [1, 0, 0],
      [1, 0, 0],
      [1, 0, 1],
    ]);
    expect(m.argmaxDisagreements).toBe(0);
    const nonEmpty = m.reliability.filter((b) => b.count > 0);
    expect(nonEmpty.map((b) => Math.round(b.lo * 15))).toEqual([5, 7, 10, 12]);
    expect(nonEmpty.map((b) => b.accuracy)).toEqual([0, 0, 1, 1]);
    close(nonEmpty[0].confidence as number, 0.34);
    expect(m.reliability).toHaveLength(15);
    expect(m.reliability[0]).toEqual({ lo: 0, hi: 1 / 15, count: 0, confidence: null, accuracy: null });
  });

  test('two rows in one bin: |mean accuracy − mean confidence| weighted by the bin share', () => {
    const qq = Float64Array.from([0.95, 0.05, 0.97, 0.03, 0.6, 0.4]);
    const m = evaluateProbabilities(qq, Int32Array.from([0, 1, 0]), Int32Array.from([0, 0, 0]), 2);
    // bin 14: rows 0 and 1, accuracy 1/2, confidence 0.96; bin 9: row 2, right, 0.6.
    close(m.ece, (2 / 3) * 0.46 + (1 / 3) * 0.4);
    expect(m.argmaxDisagreements).toBe(0);
  });

  test("the reliability bins give the CLI accumulator's ECE; pooling halves gives the whole", () => {
    const rng = createRng(11);
    const n = 500;
    const K = 4;
    const qq = new Float64Array(n * K);
    const lab = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += qq[i * K + k] = rng.next() ** 3;
      for (let k = 0; k < K; k++) qq[i * K + k] /= s;
      lab[i] = rng.int(K);
    }
    const acc = new MetricsAccumulator(['a', 'b', 'c', 'd']);
    acc.add(lab, decideRows(qq, n, K), qq, n);
    const whole = reliabilityCurve(qq, lab, n, K);
    close(whole.ece, acc.report().ece as number, 1e-12);
    const a = reliabilityCurve(qq.subarray(0, 200 * K), lab.subarray(0, 200), 200, K);
    const b = reliabilityCurve(qq.subarray(200 * K), lab.subarray(200), 300, K);
    const pooled = poolReliability([a.bins, b.bins]);
    close(pooled.ece, whole.ece, 1e-12);
    pooled.bins.forEach((bin, i) => expect(bin.count).toBe(whole.bins[i].count));
  });

  test('decisions that differ from the top of q are counted', () => {
    const m = evaluateProbabilities(q, labels, Int32Array.from([1, 0, 2, 0]), 3);
    expect(m.argmaxDisagreements).toBe(1);
    expect(m.error).toBe(0.75); // the decisions' error, not q's
    close(m.ece, 0.335); // ECE stays on q's top class
  });
});

describe('stats', () => {
  test('mean and sample std over seeds; non-finite values left out', () => {
    const m = meanStd([1, 2, 3, 4, NaN]);
    expect(m.n).toBe(4);
    close(m.mean, 2.5);
    close(m.std, Math.sqrt(5 / 3));
    expect(meanStd([7])).toMatchObject({ mean: 7, std: 0, n: 1 });
    expect(meanStd([]).mean).toBeNaN();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    const s = seriesMeanStd([
      [1, 2],
      [3, 4],
    ]);
    expect(s.mean).toEqual([2, 3]);
    close(s.std[0], Math.SQRT2);
  });
});
