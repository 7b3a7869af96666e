// The seeded generator (src/util/random.ts): determinism, ranges, distributions, permutations, state, fork.
import { createRng } from '../../../src';

function draw(seed: number, n: number): number[] {
  const r = createRng(seed);
  return Array.from({ length: n }, () => r.next());
}

describe('createRng', () => {
  test('the same seed gives the same sequence; different seeds differ', () => {
    for (const seed of [0, 1, 42, 2 ** 31, 2 ** 32 + 5, -7, 123456789012]) {
      expect(draw(seed, 1000)).toEqual(draw(seed, 1000));
    }
    // (The seed is folded to 32 bits before splitmix32, so some seeds necessarily share a stream:
    // e.g. createRng(-1) and createRng(2**32 + 1) do. Only seeds that differ in 32-bit form are compared.)
    const seqs = [0, 1, 2, 3, 42, 1000, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 7].map((s) => draw(s, 20).join(','));
    expect(new Set(seqs).size).toBe(seqs.length);
    // Seeds that agree in their low 32 bits still give different streams.
    expect(draw(5, 10)).not.toEqual(draw(2 ** 32 + 5, 10));
    // Also nextUint32, normal, int and permutation are reproducible.
    const a = createRng(9);
    const b = createRng(9);
    for (let i = 0; i < 100; i++) {
      expect(a.nextUint32()).toBe(b.nextUint32());
      expect(a.normal()).toBe(b.normal());
      expect(a.int(17)).toBe(b.int(17));
    }
    expect(Array.from(a.permutation(50))).toEqual(Array.from(b.permutation(50)));
  });

  test('next() is in [0, 1) with 53-bit resolution and mean 1/2, variance 1/12', () => {
    const r = createRng(3);
    const n = 200000;
    let s = 0;
    let s2 = 0;
    let min = 1;
    let max = 0;
    let fine = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      if (!(u >= 0 && u < 1)) throw new Error(`next() = ${u}`);
      s += u;
      s2 += u * u;
      min = Math.min(min, u);
      max = Math.max(max, u);
      // bits below 2^-32 are used (a 32-bit generator scaled would leave them 0)
      if ((u * 2 ** 32) % 1 !== 0) fine++;
    }
    const mean = s / n;
    const v = s2 / n - mean * mean;
    // standard errors: 1/sqrt(12 n) ≈ 6.5e-4 for the mean, ≈ 2e-4 for the variance; allow 5σ
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(v - 1 / 12)).toBeLessThan(5 * Math.sqrt(1 / 180 / n));
    expect(min).toBeLessThan(1e-3);
    expect(max).toBeGreaterThan(1 - 1e-3);
    expect(fine).toBeGreaterThan(0.99 * n);
  });

  test('nextUint32 is a 32-bit unsigned integer with every bit balanced', () => {
    const r = createRng(4);
    const n = 50000;
    const ones = new Array<number>(32).fill(0);
    for (let i = 0; i < n; i++) {
      const x = r.nextUint32();
      if (!(Number.isInteger(x) && x >= 0 && x < 2 ** 32)) throw new Error(`nextUint32() = ${x}`);
      for (let bit = 0; bit < 32; bit++) if ((x >>> bit) & 1) ones[bit]++;
    }
    for (const c of ones) expect(Math.abs(c / n - 0.5)).toBeLessThan(5 * Math.sqrt(0.25 / n));
  });

  test.each([1, 2, 7, 10, 97, 1000])('int(%i) stays in range and is uniform (chi-square)', (k) => {
    const r = createRng(100 + k);
    const n = Math.max(20000, 50 * k);
    const counts = new Array<number>(k).fill(0);
    for (let i = 0; i < n; i++) {
      const v = r.int(k);
      if (!(Number.isInteger(v) && v >= 0 && v < k)) throw new Error(`int(${k}) = ${v}`);
      counts[v]++;
    }
    if (k === 1) {
      expect(counts[0]).toBe(n);
      return;
    }
    const e = n / k;
    const chi2 = counts.reduce((s, c) => s + ((c - e) * (c - e)) / e, 0);
    const df = k - 1;
    // Loose bound: mean df, sd sqrt(2 df); 6 sd above (and chi2 not suspiciously tiny for df ≥ 6).
    expect(chi2).toBeLessThan(df + 6 * Math.sqrt(2 * df) + 10);
    if (df >= 6) expect(chi2).toBeGreaterThan(Math.max(0, df - 6 * Math.sqrt(2 * df)));
  });

  test('normal(): mean 0, variance 1, symmetric tails, both Box–Muller values used', () => {
    const r = createRng(5);
    const n = 200000;
    let s = 0;
    let s2 = 0;
    let s4 = 0;
    let beyond2 = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      if (!Number.isFinite(z)) throw new Error(`normal() = ${z}`);
      s += z;
      s2 += z * z;
      s4 += z ** 4;
      if (Math.abs(z) > 2) beyond2++;
    }
    const mean = s / n;
    const v = s2 / n - mean * mean;
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(v - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(s4 / n - 3)).toBeLessThan(5 * Math.sqrt(96 / n)); // kurtosis 3, Var z⁴ = 96
    // P(|z| > 2) = 0.0455
    expect(Math.abs(beyond2 / n - 0.0455)).toBeLessThan(5 * Math.sqrt((0.0455 * 0.9545) / n));
    // Pairs: normal() consumes two uniforms per two values.
    const a = createRng(6);
    const b = createRng(6);
    a.normal();
    a.normal();
    b.next();
    b.next();
    expect(a.next()).toBe(b.next());
  });

  test.each([0, 1, 2, 5, 100, 1000])('permutation(%i) is a permutation of 0..n-1', (n) => {
    const r = createRng(7 + n);
    const p = r.permutation(n);
    expect(p).toBeInstanceOf(Int32Array);
    expect(p.length).toBe(n);
    expect(Array.from(p).sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
    if (n >= 100) {
      // Not the identity.
      expect(Array.from(p)).not.toEqual(Array.from({ length: n }, (_, i) => i));
    }
  });

  test('shuffle permutes in place; every position of a 4-element shuffle is uniform', () => {
    const r = createRng(8);
    const arr = ['a', 'b', 'c', 'd', 'e'];
    const same = r.shuffle(arr);
    expect(same).toBe(arr);
    expect([...arr].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    const counts = new Map<string, number>();
    const n = 48000;
    for (let i = 0; i < n; i++) {
      const key = r.shuffle(Int32Array.from([0, 1, 2, 3])).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(24); // all 4! orders occur
    const e = n / 24;
    const chi2 = [...counts.values()].reduce((s, c) => s + ((c - e) * (c - e)) / e, 0);
    expect(chi2).toBeLessThan(23 + 6 * Math.sqrt(46) + 10);
  });

  test('getState / setState resume the exact stream, including a pending normal', () => {
    const r = createRng(11);
    for (let i = 0; i < 37; i++) r.next();
    r.normal(); // leaves the second Box–Muller value pending
    const state = r.getState();
    expect(Array.isArray(state)).toBe(true);
    const expected = [r.normal(), r.next(), r.nextUint32(), r.int(1000), r.normal(), r.normal(), r.next()];
    // Restore into the same generator…
    r.setState(state);
    expect([r.normal(), r.next(), r.nextUint32(), r.int(1000), r.normal(), r.normal(), r.next()]).toEqual(expected);
    // …and into a generator with another seed, after a JSON round trip (checkpoints).
    const other = createRng(999);
    other.normal();
    other.setState(JSON.parse(JSON.stringify(state)));
    expect([other.normal(), other.next(), other.nextUint32(), other.int(1000), other.normal(), other.normal(), other.next()]).toEqual(expected);
    // A state without a pending normal restores that too (in memory).
    const q = createRng(12);
    q.next();
    const s2 = q.getState();
    const e2 = [q.normal(), q.normal(), q.next()];
    const q2 = createRng(0);
    q2.normal(); // its pending value must be discarded by setState
    q2.setState(s2);
    expect([q2.normal(), q2.normal(), q2.next()]).toEqual(e2);
  });

  // Regression: getState() once held NaN for "no pending normal", which JSON turns into null and
  // setState read back as a pending 0.
  test('getState survives a JSON round trip when no normal is pending (checkpoints)', () => {
    const q = createRng(12);
    q.next();
    const state = JSON.parse(JSON.stringify(q.getState()));
    const expected = [q.normal(), q.normal(), q.next()];
    const r = createRng(0);
    r.setState(state);
    expect([r.normal(), r.normal(), r.next()]).toEqual(expected);
  });

  test('fork: deterministic, and the child stream is independent of the parent', () => {
    const a = createRng(13);
    const b = createRng(13);
    const fa = a.fork();
    const fb = b.fork();
    const childA = Array.from({ length: 100 }, () => fa.next());
    expect(Array.from({ length: 100 }, () => fb.next())).toEqual(childA);
    // Drawing from the child does not shift the parent.
    const c = createRng(13);
    c.fork();
    const parentAfterFork = Array.from({ length: 100 }, () => c.next());
    expect(Array.from({ length: 100 }, () => a.next())).toEqual(parentAfterFork);
    // The child stream differs from the parent's and from a second fork.
    expect(childA).not.toEqual(parentAfterFork);
    const f2 = a.fork();
    const child2 = Array.from({ length: 100 }, () => f2.next());
    expect(child2).not.toEqual(childA);
    // Child and parent are uncorrelated (sample correlation of 20000 pairs within 5/sqrt(n)).
    const p = createRng(14);
    const ch = p.fork();
    const n = 20000;
    let sxy = 0;
    for (let i = 0; i < n; i++) sxy += (p.next() - 0.5) * (ch.next() - 0.5);
    expect(Math.abs(sxy / n / (1 / 12))).toBeLessThan(5 / Math.sqrt(n));
  });
});

test('seeds that differ only above bit 32, or by sign, give different streams', () => {
  const first = (seed: number) => createRng(seed).nextUint32();
  const seeds = [0, 1, 2, -1, -2, 2 ** 32, 2 ** 32 + 1, 2 ** 33, 2 ** 52 + 1];
  expect(new Set(seeds.map(first)).size).toBe(seeds.length);
});
