import fc from 'fast-check';
import { erfc, logNormCdf, normCdf, normPdf, normPdfOverCdf } from '../../../src/special';
import { expectClose } from '../../helpers/close';
import { oracleAt } from './fixtures';

const EPS = 2 ** -52;
const HALF_LOG_2PI = 0.9189385332046728; // ½·log(2π)
const SQRT_2_OVER_PI = 0.7978845608028654;

describe('special values', () => {
  test('NaN propagates', () => {
    for (const f of [normPdf, normCdf, logNormCdf, normPdfOverCdf]) expect(f(NaN)).toBeNaN();
  });

  test('infinities', () => {
    expect(normPdf(Infinity)).toBe(0);
    expect(normPdf(-Infinity)).toBe(0);
    expect(normCdf(-Infinity)).toBe(0);
    expect(normCdf(Infinity)).toBe(1);
    expect(logNormCdf(-Infinity)).toBe(-Infinity);
    expect(Object.is(logNormCdf(Infinity), 0)).toBe(true);
    expect(normPdfOverCdf(-Infinity)).toBe(Infinity);
    expect(normPdfOverCdf(Infinity)).toBe(0);
  });

  test('at zero', () => {
    expectClose(normPdf(0), 1 / Math.sqrt(2 * Math.PI), { rtol: EPS });
    expect(normCdf(0)).toBe(0.5);
    expect(normCdf(-0)).toBe(0.5);
    expectClose(logNormCdf(0), -Math.LN2, { rtol: EPS });
    expectClose(normPdfOverCdf(0), SQRT_2_OVER_PI, { rtol: EPS });
  });

  test('log Φ is +0, not −0, where Φ(−z) underflows', () => {
    expect(Object.is(logNormCdf(39), 0)).toBe(true);
    expect(Object.is(logNormCdf(1e300), 0)).toBe(true);
  });
});

describe('deep lower tail', () => {
  test('log Φ and φ/Φ match the oracle to 1e-12 at −40, −1e3, −1e6', () => {
    for (const z of [-40, -1e3, -1e6]) {
      const lp = logNormCdf(z);
      const r = normPdfOverCdf(z);
      expect(Number.isFinite(lp)).toBe(true);
      expect(Number.isFinite(r)).toBe(true);
      expectClose(lp, oracleAt('logNormCdf', z), { rtol: 1e-12, label: `logNormCdf(${z})` });
      expectClose(r, oracleAt('normPdfOverCdf', z), { rtol: 1e-12, label: `normPdfOverCdf(${z})` });
    }
  });

  const deep = [-40, -100, -1e3, -1e4, -1e6, -1e9, -1e10, -1e50, -1e150, -1e154, -1.8e154];

  test('φ/Φ → −z: ratio/(−z) = 1 + 1/z² − 2/z⁴ + O(z⁻⁶)', () => {
    for (const z of deep) {
      const u = 1 / (z * z);
      expectClose(normPdfOverCdf(z) / -z, 1 + u - 2 * u * u, { rtol: 4 * EPS, atol: 10 * u ** 3, label: `z=${z}` });
    }
    for (const z of [-1e200, -1e300, -Number.MAX_VALUE]) {
      expect(normPdfOverCdf(z)).toBe(-z);
    }
  });

  test('log Φ(z) = −z²/2 − log(−z) − ½log(2π) + log(1 − 1/z² + 3/z⁴ − …)', () => {
    for (const z of deep) {
      const u = 1 / (z * z);
      const asym = -0.5 * z * z - Math.log(-z) - HALF_LOG_2PI + Math.log1p(-u + 3 * u * u);
      expectClose(logNormCdf(z), asym, { rtol: 4 * EPS, atol: 20 * u ** 3, label: `z=${z}` });
    }
  });

  test('log Φ is finite down to −1.89e154 (where −z²/2 itself overflows float64)', () => {
    for (const z of [-1e150, -1e154, -1.8e154, -1.89e154]) {
      expect(Number.isFinite(logNormCdf(z))).toBe(true);
    }
    expect(logNormCdf(-1.9e154)).toBe(-Infinity); // true value −1.805e308 < −DBL_MAX
  });

  test('Φ in the lower tail is relatively accurate, not 0, down to underflow', () => {
    expect(normCdf(-38)).toBeGreaterThan(0);
    expect(normCdf(-37)).toBeGreaterThan(1e-300);
    expect(normCdf(-41)).toBe(0);
  });
});

describe('upper tail', () => {
  test('log Φ(z) ≈ −Φ(−z) with full relative accuracy for large z', () => {
    for (const z of [6, 10, 20, 30, 37, 38]) {
      const q = normCdf(-z);
      expectClose(logNormCdf(z), -q - 0.5 * q * q, { rtol: 2 * EPS, label: `z=${z}` });
      expect(logNormCdf(z)).toBeLessThan(0);
    }
  });

  test('φ/Φ ≈ φ for large z', () => {
    for (const z of [10, 20, 37]) {
      expectClose(normPdfOverCdf(z), normPdf(z), { rtol: 2 * EPS, label: `z=${z}` });
    }
  });
});

describe('identities and shape', () => {
  const moderate = fc.double({ min: -37, max: 37, noNaN: true });
  const finite = fc.double({ noNaN: true, noDefaultInfinity: true });

  test('Φ(z) + Φ(−z) = 1', () => {
    fc.assert(
      fc.property(moderate, (z) => {
        expectClose(normCdf(z) + normCdf(-z), 1, { atol: 2 * EPS, rtol: 0, label: `z=${z}` });
      }),
    );
  });

  test('φ/Φ agrees with normPdf/normCdf', () => {
    fc.assert(
      fc.property(moderate, (z) => {
        expectClose(normPdfOverCdf(z), normPdf(z) / normCdf(z), { rtol: 1e-14, label: `z=${z}` });
      }),
    );
  });

  test('log Φ agrees with log(normCdf) where Φ is not close to 1', () => {
    fc.assert(
      fc.property(fc.double({ min: -37, max: 0.5, noNaN: true }), (z) => {
        expectClose(logNormCdf(z), Math.log(normCdf(z)), { rtol: 1e-14, label: `z=${z}` });
      }),
    );
  });

  test('Φ(z) = erfc(−z/√2)/2 in the central range', () => {
    for (let z = -3; z <= 3; z += 0.125) {
      expectClose(normCdf(z), 0.5 * erfc(-z * Math.SQRT1_2), { rtol: 20 * EPS, label: `z=${z}` });
    }
  });

  test('ranges for every finite z', () => {
    fc.assert(
      fc.property(finite, (z) => {
        const p = normCdf(z);
        const r = normPdfOverCdf(z);
        const lp = logNormCdf(z);
        expect(p >= 0 && p <= 1).toBe(true);
        expect(Number.isFinite(r) && r >= 0).toBe(true);
        expect(lp <= 0).toBe(true);
        if (z > -1.89e154) expect(Number.isFinite(lp)).toBe(true);
        expect(normPdf(z) >= 0).toBe(true);
      }),
    );
  });

  test('monotone on a grid: Φ and log Φ increasing, φ/Φ decreasing', () => {
    const h = 1 / 512;
    let pp = normCdf(-40);
    let pl = logNormCdf(-40);
    let pr = normPdfOverCdf(-40);
    for (let i = -40 * 512 + 1; i <= 40 * 512; i++) {
      const z = i * h;
      const p = normCdf(z);
      const l = logNormCdf(z);
      const r = normPdfOverCdf(z);
      if (!(p >= pp)) throw new Error(`Φ not monotone at z=${z}`);
      if (!(l >= pl)) throw new Error(`log Φ not monotone at z=${z}`);
      if (!(r <= pr)) throw new Error(`φ/Φ not monotone at z=${z}`);
      pp = p;
      pl = l;
      pr = r;
    }
  });

  test('φ is even', () => {
    fc.assert(
      fc.property(finite, (z) => {
        expect(normPdf(-z)).toBe(normPdf(z));
      }),
    );
  });
});
