/**
 * A drop-in for npm `ndarray` (1.1.x) that builds no code at run time, for pages with a strict
 * Content-Security-Policy (`script-src 'self' 'wasm-unsafe-eval'`, no `'unsafe-eval'`).
 *
 * ndarray compiles one view class per (dtype, dimension) with `new Function`, which such a policy refuses.
 * package.json's `browser` field maps `ndarray` to this module, so bundles get it and Node keeps the real
 * one. The semantics are ndarray's, method by method (index arithmetic, `|0` truncations, negative steps,
 * `pick` to 0-d and trivial arrays, `dtype`, `order`); `tests/unit/tensor/ndarray-csp.test.ts` checks them
 * against the real module. The generic loops are slower per `get`/`set` than ndarray's unrolled code; the
 * library's kernels read `data` directly, so only callers who index element by element notice.
 */
import type ndarrayModule from 'ndarray';

type Data = ndarrayModule.Data<unknown> & { get?(i: number): unknown; set?(i: number, v: unknown): unknown };
type DType = ndarrayModule.DataType | 'buffer';

const TAGS: Record<string, DType> = {
  '[object Float64Array]': 'float64',
  '[object Float32Array]': 'float32',
  '[object Float16Array]': 'float16' as DType,
  '[object Int8Array]': 'int8',
  '[object Int16Array]': 'int16',
  '[object Int32Array]': 'int32',
  '[object Uint8Array]': 'uint8',
  '[object Uint16Array]': 'uint16',
  '[object Uint32Array]': 'uint32',
  '[object Uint8ClampedArray]': 'uint8_clamped',
  '[object BigInt64Array]': 'bigint64',
  '[object BigUint64Array]': 'biguint64',
};

/** ndarray's dtype names, tested in its order (a Node Buffer first, where there is one). */
function arrayDType(data: unknown): DType {
  const B = (globalThis as { Buffer?: { isBuffer(x: unknown): boolean } }).Buffer;
  if (B && typeof B.isBuffer === 'function' && B.isBuffer(data)) return 'buffer';
  const tag = TAGS[Object.prototype.toString.call(data)];
  if (tag) return tag;
  return Array.isArray(data) ? 'array' : 'generic';
}

function read(data: Data, i: number): unknown {
  return arrayDType(data) === 'generic' ? data.get!(i) : (data as unknown as Record<number, unknown>)[i];
}

function write(data: Data, i: number, v: unknown): unknown {
  if (arrayDType(data) === 'generic') return data.set!(i, v);
  return ((data as unknown as Record<number, unknown>)[i] = v);
}

/** An ndarray with no dimensions at all (what `pick` of a 0-d array returns). */
class TrivialView {
  constructor(public data: Data) {}
  get dtype(): DType {
    return arrayDType(this.data);
  }
  index(): number {
    return -1;
  }
  get(): void {}
  set(): void {}
  pick(): null {
    return null;
  }
  lo(): TrivialView {
    return new TrivialView(this.data);
  }
}
Object.assign(TrivialView.prototype, { size: 0, dimension: -1, shape: [], stride: [], order: [] });
Object.assign(TrivialView.prototype, { hi: TrivialView.prototype.lo, transpose: TrivialView.prototype.lo, step: TrivialView.prototype.lo });

/** A 0-d view: one element at `offset`. */
class ScalarView {
  constructor(public data: Data, public offset: number) {}
  get dtype(): DType {
    return arrayDType(this.data);
  }
  index(): number {
    return this.offset;
  }
  get(): unknown {
    return read(this.data, this.offset);
  }
  valueOf(): unknown {
    return read(this.data, this.offset);
  }
  set(v: unknown): unknown {
    return write(this.data, this.offset, v);
  }
  pick(): TrivialView {
    return new TrivialView(this.data);
  }
  lo(): ScalarView {
    return new ScalarView(this.data, this.offset);
  }
}
Object.assign(ScalarView.prototype, { dimension: 0, size: 1, shape: [], stride: [], order: [] });
Object.assign(ScalarView.prototype, { hi: ScalarView.prototype.lo, transpose: ScalarView.prototype.lo, step: ScalarView.prototype.lo });

/** A view of one or more dimensions. */
class View {
  shape: number[];
  stride: number[];
  offset: number;
  constructor(public data: Data, shape: ArrayLike<number>, stride: ArrayLike<number>, offset: number, d: number) {
    this.shape = new Array<number>(d);
    this.stride = new Array<number>(d);
    for (let k = 0; k < d; k++) {
      this.shape[k] = shape[k];
      this.stride[k] = stride[k];
    }
    this.offset = offset | 0;
  }
  get dtype(): DType {
    return arrayDType(this.data);
  }
  get dimension(): number {
    return this.shape.length;
  }
  get size(): number {
    let s = this.shape[0];
    for (let k = 1; k < this.shape.length; k++) s *= this.shape[k];
    return s;
  }
  get order(): number[] {
    const d = this.shape.length;
    const st = this.stride;
    if (d === 1) return [0];
    if (d === 2) return Math.abs(st[0]) > Math.abs(st[1]) ? [1, 0] : [0, 1];
    if (d === 3) {
      const s0 = Math.abs(st[0]);
      const s1 = Math.abs(st[1]);
      const s2 = Math.abs(st[2]);
      if (s0 > s1) return s1 > s2 ? [2, 1, 0] : s0 > s2 ? [1, 2, 0] : [1, 0, 2];
      return s0 > s2 ? [2, 0, 1] : s2 > s1 ? [0, 1, 2] : [0, 2, 1];
    }
    return st.map((s, i) => [Math.abs(s), i]).sort((a, b) => a[0] - b[0]).map((t) => t[1]);
  }
  index(...i: number[]): number {
    let at = this.offset;
    for (let k = 0; k < this.shape.length; k++) at += this.stride[k] * i[k];
    return at;
  }
  get(...i: number[]): unknown {
    return read(this.data, this.index(...i));
  }
  set(...iv: unknown[]): unknown {
    const d = this.shape.length;
    return write(this.data, this.index(...(iv.slice(0, d) as number[])), iv[d]);
  }
  hi(...i: unknown[]): View {
    const d = this.shape.length;
    const shape = new Array<number>(d);
    for (let k = 0; k < d; k++) {
      const v = i[k];
      shape[k] = typeof v !== 'number' || v < 0 ? this.shape[k] : v | 0;
    }
    return new View(this.data, shape, this.stride, this.offset, d);
  }
  lo(...i: unknown[]): View {
    const d = this.shape.length;
    const shape = this.shape.slice();
    let b = this.offset;
    for (let k = 0; k < d; k++) {
      const v = i[k];
      if (typeof v === 'number' && v >= 0) {
        const n = v | 0;
        b += this.stride[k] * n;
        shape[k] -= n;
      }
    }
    return new View(this.data, shape, this.stride, b, d);
  }
  step(...i: unknown[]): View {
    const d = this.shape.length;
    const shape = this.shape.slice();
    const stride = this.stride.slice();
    let c = this.offset;
    for (let k = 0; k < d; k++) {
      const v = i[k];
      if (typeof v === 'number') {
        const n = v | 0;
        if (n < 0) {
          c += stride[k] * (shape[k] - 1);
          shape[k] = Math.ceil(-shape[k] / n);
        } else {
          shape[k] = Math.ceil(shape[k] / n);
        }
        stride[k] *= n;
      }
    }
    return new View(this.data, shape, stride, c, d);
  }
  transpose(...i: unknown[]): View {
    const d = this.shape.length;
    const shape = new Array<number>(d);
    const stride = new Array<number>(d);
    for (let k = 0; k < d; k++) {
      const v = i[k];
      const from = v === undefined ? k : (v as number) | 0;
      shape[k] = this.shape[from];
      stride[k] = this.stride[from];
    }
    return new View(this.data, shape, stride, this.offset, d);
  }
  pick(...i: unknown[]): View | ScalarView {
    const shape: number[] = [];
    const stride: number[] = [];
    let c = this.offset;
    for (let k = 0; k < this.shape.length; k++) {
      const v = i[k];
      if (typeof v === 'number' && v >= 0) c = (c + this.stride[k] * v) | 0;
      else {
        shape.push(this.shape[k]);
        stride.push(this.stride[k]);
      }
    }
    return construct(this.data, shape, stride, c);
  }
}

function construct(data: Data, shape: ArrayLike<number>, stride: ArrayLike<number>, offset: number): View | ScalarView {
  return shape.length === 0 ? new ScalarView(data, offset) : new View(data, shape, stride, offset, shape.length);
}

/** `ndarray(data, shape?, stride?, offset?)`, as npm `ndarray` defines it. */
function ndarray(data?: unknown, shape?: ArrayLike<number>, stride?: ArrayLike<number>, offset?: number): unknown {
  if (data === undefined) return new TrivialView([] as unknown as Data);
  if (typeof data === 'number') data = [data];
  const arr = data as Data;
  if (shape === undefined) shape = [arr.length];
  const d = shape.length;
  if (stride === undefined) {
    const s = new Array<number>(d);
    for (let k = d - 1, sz = 1; k >= 0; --k) {
      s[k] = sz;
      sz *= shape[k];
    }
    stride = s;
  }
  if (offset === undefined) {
    offset = 0;
    for (let k = 0; k < d; k++) if (stride[k] < 0) offset -= (shape[k] - 1) * stride[k];
  }
  return construct(arr, shape, stride, offset);
}

export default ndarray as unknown as typeof ndarrayModule;
