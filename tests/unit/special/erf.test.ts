import fc from 'fast-check';
import { erf, erfc, erfcx } from '../../../src/special';
import { expectClose } from '../../helpers/close';

const EPS = 2 ** -52;
const SQRPI = 0.5641895835477563; // 1/√π

describe('special values', () => {
  test('NaN propagates', () => {
    expect(erf(NaN)).toBeNaN();
    expect(erfc(NaN)).toBeNaN();
    expect(erfcx(NaN)).toBeNaN();
  });

  test('infinities', () => {
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erfc(Infinity)).toBe(0);
    expect(erfc(-Infinity)).toBe(2);
    expect(erfcx(Infinity)).toBe(0);
    expect(erfcx(-Infinity)).toBe(Infinity);
  });

  test('signed zero', () => {
    expect(Object.is(erf(0), 0)).toBe(true);
    expect(Object.is(erf(-0), -0)).toBe(true);
    expect(erfc(0)).toBe(1);
    expect(erfc(-0)).toBe(1);
    expect(erfcx(0)).toBe(1);
    expect(erfcx(-0)).toBe(1);
  });

  test('smallest arguments', () => {
    expect(erf(Number.MIN_VALUE)).toBeGreaterThan(0);
    expect(Object.is(erf(-Number.MIN_VALUE), -0) || erf(-Number.MIN_VALUE) < 0).toBe(true);
    expectClose(erf(1e-300), (2 / Math.sqrt(Math.PI)) * 1e-300, { rtol: 2 * EPS });
  });

  test('saturation', () => {
    expect(erf(6)).toBe(1);
    expect(erf(-6)).toBe(-1);
    expect(erf(Number.MAX_VALUE)).toBe(1);
    expect(erfc(27.3)).toBe(0);
    expect(erfc(-27.3)).toBe(2);
    expect(erfc(Number.MAX_VALUE)).toBe(0);
    expect(erfc(-Number.MAX_VALUE)).toBe(2);
    // Gradual underflow rather than a hard cut-off at Cody's XBIG = 26.543.
    expect(erfc(27)).toBeGreaterThan(0);
    expect(erfc(27)).toBeLessThan(Number.MIN_VALUE * 2 ** 20);
  });
});

describe('erfcx extremes', () => {
  test('huge positive x: tends to 1/(x√π), finite', () => {
    for (const x of [1e8, 1e20, 1e100, 1e300]) {
      const v = erfcx(x);
      expect(Number.isFinite(v)).toBe(true);
      expectClose(v, SQRPI / x, { rtol: 2 * EPS, label: `erfcx(${x})` });
    }
    expect(erfcx(Number.MAX_VALUE)).toBeGreaterThan(0);
  });

  test('large x matches the asymptotic series', () => {
    for (const x of [30, 100, 1e3, 1e5]) {
      const u = 1 / (2 * x * x);
      const series = (SQRPI / x) * (1 - u + 3 * u * u - 15 * u * u * u + 105 * u ** 4);
      expectClose(erfcx(x), series, { rtol: 4 * EPS + 945 * u ** 5, label: `erfcx(${x})` });
    }
  });

  test('negative x overflows exactly where 2·exp(x²) exceeds DBL_MAX (x ≈ −26.6287)', () => {
    expect(erfcx(-26.628)).toBeLessThan(Infinity);
    expect(erfcx(-26.6287)).toBeLessThan(Infinity);
    expect(erfcx(-26.629)).toBe(Infinity);
    expect(erfcx(-27)).toBe(Infinity);
    expect(erfcx(-1e10)).toBe(Infinity);
    expect(erfcx(-Number.MAX_VALUE)).toBe(Infinity);
  });

  test('erfcx(x) = exp(x²)·erfc(x) where both sides are representable', () => {
    for (let x = -5; x <= 5; x += 0.0625) {
      // exp(x*x) with a rounded x*x is good to about x²·eps only.
      expectClose(erfcx(x), Math.exp(x * x) * erfc(x), { rtol: (4 + 2 * x * x) * EPS, label: `x=${x}` });
    }
  });
});

describe('identities', () => {
  const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
  const moderate = fc.double({ min: -30, max: 30, noNaN: true });

  test('erf is odd (exactly)', () => {
    fc.assert(
      fc.property(finite, (x) => {
        expect(Object.is(erf(-x), -erf(x))).toBe(true);
      }),
    );
  });

  test('erfc(x) + erfc(−x) = 2', () => {
    fc.assert(
      fc.property(moderate, (x) => {
        expectClose(erfc(x) + erfc(-x), 2, { atol: 4 * EPS, rtol: 0, label: `x=${x}` });
      }),
    );
  });

  test('erf(x) + erfc(x) = 1', () => {
    fc.assert(
      fc.property(moderate, (x) => {
        expectClose(erf(x) + erfc(x), 1, { atol: 2 * EPS, rtol: 0, label: `x=${x}` });
      }),
    );
  });

  test('ranges: erf ∈ [−1, 1], erfc ∈ [0, 2], erfcx > 0 for finite x', () => {
    fc.assert(
      fc.property(finite, (x) => {
        const a = erf(x);
        const b = erfc(x);
        const c = erfcx(x);
        expect(a >= -1 && a <= 1).toBe(true);
        expect(b >= 0 && b <= 2).toBe(true);
        expect(c > 0).toBe(true);
      }),
    );
  });

  test('monotone on a grid: erf increasing, erfc and erfcx decreasing', () => {
    const h = 1 / 1024;
    let pe = erf(-40);
    let pc = erfc(-40);
    let px = erfcx(-26.5);
    for (let i = -40 * 1024 + 1; i <= 40 * 1024; i++) {
      const x = i * h;
      const e = erf(x);
      const c = erfc(x);
      if (!(e >= pe) || !(c <= pc)) throw new Error(`monotonicity broken at x=${x}`);
      pe = e;
      pc = c;
      if (x > -26.5) {
        const v = erfcx(x);
        if (!(v < px)) throw new Error(`erfcx not decreasing at x=${x}`);
        px = v;
      }
    }
  });
});
