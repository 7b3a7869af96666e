/**
 * A WebAssembly memory with a bump allocator, one per posterior store: the store's arrays and its
 * minibatch workspace live in it, so the SIMD kernels read them in place. It never grows, so the
 * Float64Array views handed out stay valid for the store's lifetime. Small heaps (packed networks,
 * ensemble members) are carved out of shared 16 MiB arenas: V8 reserves several GiB of address space
 * per WebAssembly.Memory, so one memory per member stalls an ensemble of ~13,000 members.
 */

/** Whether WebAssembly kernels may be used: set EBP_BNN_WASM=0 (or call setWasmEnabled(false)) to force the JS kernels. */
let enabled = !(typeof process !== 'undefined' && process.env?.EBP_BNN_WASM === '0');

export function setWasmEnabled(on: boolean): void {
  enabled = on;
}

export function wasmEnabled(): boolean {
  return enabled;
}

const modules = new Map<string, WebAssembly.Module | null>();

/** Compile (once) a module from base64 bytes; null when WebAssembly or SIMD is unavailable. */
export function compileModule(key: string, base64: string): WebAssembly.Module | null {
  if (modules.has(key)) return modules.get(key) ?? null;
  let mod: WebAssembly.Module | null = null;
  try {
    if (typeof WebAssembly === 'object') mod = new WebAssembly.Module(decodeBase64(base64));
  } catch {
    mod = null; // no SIMD support, or a CSP that forbids compiling: the JS kernels take over
  }
  modules.set(key, mod);
  return mod;
}

export class WasmHeap<E extends WebAssembly.Exports = WebAssembly.Exports> {
  readonly memory: WebAssembly.Memory;
  readonly exports: E;
  private top: number;
  private readonly limit: number;

  private constructor(memory: WebAssembly.Memory, exports: E, start: number, limit: number) {
    this.memory = memory;
    this.exports = exports;
    this.top = align(start, 16);
    this.limit = limit;
  }

  /** A heap with room for `bytes` bytes of arrays (plus alignment), or null if WebAssembly is unusable. */
  static create<E extends WebAssembly.Exports>(mod: WebAssembly.Module | null, bytes: number): WasmHeap<E> | null {
    if (mod === null || !enabled) return null;
    if (bytes <= ARENA_SHARE_MAX) {
      // Kernels keep no state between calls and run one at a time, so heaps can share an instance and its stack.
      let a = arenas.get(mod);
      if (!a || a.top + bytes > a.limit) {
        const fresh = instantiate(mod, ARENA_BYTES);
        if (fresh === null) return null;
        a = { ...fresh, top: fresh.base };
        arenas.set(mod, a);
      }
      const start = a.top;
      a.top = align(start + bytes, 16);
      return new WasmHeap<E>(a.memory, a.exports as E, start, a.top);
    }
    const own = instantiate(mod, bytes);
    return own === null ? null : new WasmHeap<E>(own.memory, own.exports as E, own.base, own.memory.buffer.byteLength);
  }

  /**
   * A heap on its own shared memory (a SharedArrayBuffer): `mod` must be built for a shared memory
   * (`--shared-memory`), and other threads may instantiate it on {@link memory}. Null where WebAssembly
   * threads are unavailable (no SharedArrayBuffer, e.g. a page that is not cross-origin isolated) or disabled.
   */
  static createShared<E extends WebAssembly.Exports>(mod: WebAssembly.Module | null, bytes: number): WasmHeap<E> | null {
    if (mod === null || !enabled || typeof SharedArrayBuffer !== 'function') return null;
    const own = instantiate(mod, bytes, true);
    return own === null ? null : new WasmHeap<E>(own.memory, own.exports as E, own.base, own.memory.buffer.byteLength);
  }

  f64(n: number): Float64Array {
    return new Float64Array(this.memory.buffer, this.take(n * 8), n);
  }

  i32(n: number): Int32Array {
    return new Int32Array(this.memory.buffer, this.take(n * 4), n);
  }

  /** Whether a typed array is a view on this heap. */
  owns(a: ArrayBufferView): boolean {
    return a.buffer === this.memory.buffer;
  }

  private take(bytes: number): number {
    const at = this.top;
    this.top = align(at + bytes, 16);
    if (this.top > this.limit) throw new RangeError(`WasmHeap: out of reserved memory (${this.top} > ${this.limit}).`);
    return at;
  }
}

/** Heaps up to this size share arenas of ARENA_BYTES. */
const ARENA_SHARE_MAX = 1 << 20;
const ARENA_BYTES = 16 << 20;

/** The arena currently being filled, per module (full arenas live as long as their heaps). */
const arenas = new Map<WebAssembly.Module, { memory: WebAssembly.Memory; exports: WebAssembly.Exports; top: number; limit: number }>();

/** A fixed-size memory with an instance of `mod` on it and room for `bytes` above __heap_base, or null. */
function instantiate(mod: WebAssembly.Module, bytes: number, shared = false): { memory: WebAssembly.Memory; exports: WebAssembly.Exports; base: number; limit: number } | null {
  const reserve = 64 * 1024; // module stack and data below __heap_base
  const pages = Math.ceil((reserve + bytes) / 65536) + 1;
  if (pages > 32768) return null; // > 2 GiB: leave it to the JS kernels
  try {
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, ...(shared ? { shared: true } : {}) });
    const exports = new WebAssembly.Instance(mod, { env: { memory } }).exports;
    const base = (exports as unknown as { __heap_base: WebAssembly.Global }).__heap_base.value as number;
    if (base > reserve) return null;
    return { memory, exports, base: align(base, 16), limit: memory.buffer.byteLength };
  } catch {
    return null;
  }
}

/** Bytes a heap needs for arrays of these element counts (16-byte aligned each). */
export function heapBytes(f64Counts: number[], i32Counts: number[] = []): number {
  let total = 0;
  for (const n of f64Counts) total += align(n * 8, 16);
  for (const n of i32Counts) total += align(n * 4, 16);
  return total;
}

function align(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 to bytes without Buffer or atob (works in every JS runtime). */
export function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const clean = s.replace(/[^A-Za-z0-9+/]/g, '');
  const out = new Uint8Array(new ArrayBuffer(Math.floor((clean.length * 3) / 4)));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < clean.length; i++) {
    acc = (acc << 6) | B64.indexOf(clean[i]);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out.slice(0, o);
}
