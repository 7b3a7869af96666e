// The demo's MNIST-style preprocessing of a drawn digit (demo/src/digit.ts) and its uncertainty numbers.
import * as fs from 'fs';
import * as path from 'path';
import { BOX, SIDE, agreeing, entropyBits, mnistFromInk } from '../../../demo/src/digit';
import { decodeModel, matrix, type XnorNetwork } from '../../../src';

const MODEL = path.join(__dirname, '..', '..', '..', 'demo', 'model');

/** The image scaled up `f` times (nearest neighbour), as ink in [0, 1] on a pad of that size. */
function upscale(pixels: ArrayLike<number>, f: number): Float32Array {
  const W = SIDE * f;
  const ink = new Float32Array(W * W);
  for (let y = 0; y < W; y++) for (let x = 0; x < W; x++) ink[y * W + x] = pixels[Math.floor(y / f) * SIDE + Math.floor(x / f)] / 255;
  return ink;
}

function massCentre(img: Uint8Array): [number, number] {
  let m = 0;
  let cx = 0;
  let cy = 0;
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const v = img[y * SIDE + x];
      m += v;
      cx += v * (x + 0.5);
      cy += v * (y + 0.5);
    }
  }
  return [cx / m, cy / m];
}

function inkBox(img: Uint8Array): { w: number; h: number } {
  let x0 = SIDE, x1 = -1, y0 = SIDE, y1 = -1;
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      if (img[y * SIDE + x] > 0) {
        x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
    }
  }
  return { w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

describe('mnistFromInk', () => {
  test('an empty pad is no digit', () => {
    expect(mnistFromInk(new Float32Array(100 * 100), 100, 100)).toBeNull();
  });

  test('the larger side becomes 20 pixels, aspect kept, centre of mass within half a pixel of the centre', () => {
    const W = 300;
    const H = 200;
    const ink = new Float32Array(W * H);
    // A tall bar in a corner of a wide pad: 40 wide, 120 tall.
    for (let y = 10; y < 130; y++) for (let x = 220; x < 260; x++) ink[y * W + x] = 1;
    const img = mnistFromInk(ink, W, H)!;
    expect(inkBox(img)).toEqual({ w: Math.round((40 * BOX) / 120), h: BOX });
    const [cx, cy] = massCentre(img);
    expect(Math.abs(cx - SIDE / 2)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(cy - SIDE / 2)).toBeLessThanOrEqual(0.5);
    expect(Math.max(...img)).toBe(255);
  });

  test('the same drawing anywhere on the pad, at any size, gives the same image', () => {
    const draw = (W: number, ox: number, oy: number, s: number) => {
      const ink = new Float32Array(W * W);
      for (let y = 0; y < 10 * s; y++) for (let x = 0; x < 6 * s; x++) if (x < 2 * s || y < 2 * s || y >= 8 * s) ink[(oy + y) * W + ox + x] = 1;
      return mnistFromInk(ink, W, W)!;
    };
    const a = draw(280, 20, 30, 20);
    expect(Array.from(draw(280, 100, 50, 20))).toEqual(Array.from(a));
    expect(Array.from(draw(560, 7, 150, 40))).toEqual(Array.from(a));
  });

  test('official MNIST test digits, drawn ten times larger, are still classified right by the shipped network', () => {
    const t = JSON.parse(fs.readFileSync(path.join(MODEL, 'mnist-test10.json'), 'utf8')) as { labels: number[]; images: number[][] };
    const det = decodeModel(fs.readFileSync(path.join(MODEL, 'mnist-deterministic.ebpb'))).network as XnorNetwork;
    const redrawn = t.images.map((img) => Array.from(mnistFromInk(upscale(img, 10), 280, 280)!));
    const predicted = Array.from(det.predict(matrix(Float64Array.from(redrawn.flat(), (v) => v / 255), 10, SIDE * SIDE)));
    expect(predicted.filter((p, i) => p === t.labels[i]).length).toBeGreaterThanOrEqual(9);
  });
});

describe('uncertainty', () => {
  test('entropy in bits and member agreement', () => {
    expect(entropyBits([1, 0, 0])).toBe(0);
    expect(entropyBits([0.5, 0.5])).toBeCloseTo(1, 12);
    expect(entropyBits(new Array(10).fill(0.1))).toBeCloseTo(Math.log2(10), 12);
    expect(agreeing([3, 3, 1, 3], 3)).toBe(3);
    expect(agreeing([], 0)).toBe(0);
  });
});
