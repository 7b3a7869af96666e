import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import {
  loadFashionMnist,
  fashionMnistAvailable,
  FASHION_MNIST_CLASS_NAMES,
  FASHION_MNIST_DIR,
} from '../../../src/node/mnist';
import { IoError, DataError } from '../../../src/errors';

/** An IDX file of unsigned bytes. */
function idxU8(shape: number[], values: ArrayLike<number>): Uint8Array {
  const header = 4 + 4 * shape.length;
  const out = new Uint8Array(header + values.length);
  const v = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = shape.length;
  shape.forEach((d, k) => v.setUint32(4 + 4 * k, d, false));
  out.set(Array.from(values), header);
  return out;
}

describe('loadFashionMnist on synthetic IDX files', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ebp-fashion-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('says which package to install when the files are absent', () => {
    expect(fashionMnistAvailable(dir)).toBe(false);
    expect(() => loadFashionMnist(dir)).toThrow(IoError);
    expect(() => loadFashionMnist(dir)).toThrow(
      `Fashion-MNIST not found in ${dir}: missing train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], ` +
        `t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]. Install Debian's package (apt-get install dataset-fashion-mnist)`,
    );
  });

  it('reads gzipped and plain files, pixels / 255, Fashion-MNIST class names', () => {
    const trainPixels = Array.from({ length: 3 * 784 }, (_, i) => (i * 7) % 256);
    const testPixels = Array.from({ length: 2 * 784 }, (_, i) => (i * 13) % 256);
    fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte.gz'), zlib.gzipSync(idxU8([3, 28, 28], trainPixels)));
    fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte.gz'), zlib.gzipSync(idxU8([3], [9, 0, 4])));
    fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte'), idxU8([2, 28, 28], testPixels));
    expect(fashionMnistAvailable(dir)).toBe(false);
    expect(() => loadFashionMnist(dir)).toThrow('missing t10k-labels-idx1-ubyte[.gz].');
    fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), idxU8([2], [1, 8]));
    expect(fashionMnistAvailable(dir)).toBe(true);

    const { train, test } = loadFashionMnist(dir);
    expect(train.X.shape).toEqual([3, 784]);
    expect(test.X.shape).toEqual([2, 784]);
    expect(Array.from(train.labels)).toEqual([9, 0, 4]);
    expect(Array.from(test.labels)).toEqual([1, 8]);
    expect(Array.from(train.X.data)).toEqual(trainPixels.map((b) => b / 255));
    expect(Array.from(test.X.data)).toEqual(testPixels.map((b) => b / 255));
    expect(train.classNames).toEqual([...FASHION_MNIST_CLASS_NAMES]);
    expect(train.classNames[9]).toBe('Ankle boot');
    expect(train.numClasses).toBe(10);
    expect(train.featureNames![783]).toBe('pixel783');
    expect(train.name).toBe('fashion-mnist-train');
    expect(test.name).toBe('fashion-mnist-test');
  });

  it('rejects mismatched counts and out-of-range labels', () => {
    const sub = fs.mkdtempSync(path.join(dir, 'bad-'));
    fs.writeFileSync(path.join(sub, 'train-images-idx3-ubyte'), idxU8([2, 2, 2], new Array(8).fill(1)));
    fs.writeFileSync(path.join(sub, 'train-labels-idx1-ubyte'), idxU8([3], [0, 1, 2]));
    fs.writeFileSync(path.join(sub, 't10k-images-idx3-ubyte'), idxU8([1, 2, 2], [0, 0, 0, 0]));
    fs.writeFileSync(path.join(sub, 't10k-labels-idx1-ubyte'), idxU8([1], [0]));
    expect(() => loadFashionMnist(sub)).toThrow(DataError);
    expect(() => loadFashionMnist(sub)).toThrow('2 images in');
    fs.writeFileSync(path.join(sub, 'train-labels-idx1-ubyte'), idxU8([2], [0, 10]));
    expect(() => loadFashionMnist(sub)).toThrow('label 10 of item 1 is outside 0..9.');
  });
});

// The real data set: Debian's dataset-fashion-mnist package (EBP_FASHION_MNIST_DIR overrides the folder).
const realDir = process.env.EBP_FASHION_MNIST_DIR ?? FASHION_MNIST_DIR;
const available = fashionMnistAvailable(realDir);
if (!available) {
  console.warn(
    `Fashion-MNIST is not installed in ${realDir}: skipping the real-data test ` +
      `(install it with: apt-get install dataset-fashion-mnist).`,
  );
}

(available ? describe : describe.skip)('loadFashionMnist on the installed data set', () => {
  it('has 60,000 / 10,000 images in 10 balanced classes', () => {
    const { train, test } = loadFashionMnist(realDir);
    expect(train.X.shape).toEqual([60000, 784]);
    expect(test.X.shape).toEqual([10000, 784]);
    const c = (l: Int32Array) => {
      const out = new Array<number>(10).fill(0);
      for (const x of l) out[x]++;
      return out;
    };
    expect(c(train.labels)).toEqual(new Array(10).fill(6000));
    expect(c(test.labels)).toEqual(new Array(10).fill(1000));
    let min = Infinity;
    let max = -Infinity;
    for (const v of test.X.data) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect([min, max]).toEqual([0, 1]);
  });
});
