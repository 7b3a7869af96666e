/**
 * Seeded pseudo-random numbers. Every random draw in the library goes through an {@link Rng}:
 * the same seed gives the same stream on every platform (integer arithmetic only, no Math.random).
 *
 * Generator: xoshiro128** (Blackman & Vigna), state seeded by splitmix32. Doubles take 53 bits
 * from two outputs.
 */
import { ArgumentError } from '../errors';

/** The library's seeded random generator (see {@link createRng}): every random draw goes through one. */
export interface Rng {
  /** Uniform double in [0, 1), 53 random bits. */
  next(): number;
  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal draw (Box–Muller, both values used). */
  normal(): number;
  /** In-place Fisher–Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T;
  /** A permutation of 0..n-1. */
  permutation(n: number): Int32Array;
  /** An independent generator derived from this one (for sub-tasks that must not shift this stream). */
  fork(): Rng;
  /** Internal state, for checkpoints. */
  getState(): number[];
  /** Restore a state from {@link Rng.getState}. */
  setState(state: readonly number[]): void;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const TWO_POW_M53 = 2 ** -53;

class Xoshiro128 implements Rng {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;
  private spare = NaN;

  constructor(seed: number) {
    // Both 32-bit halves of the (up to 2^53) integer seed go through splitmix32, so nearby seeds and
    // seeds that differ only above bit 32 give unrelated streams.
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) >>> 0;
    const sm = splitmix32(lo ^ splitmix32(hi ^ 0x6a09e667)());
    this.a = sm();
    this.b = sm();
    this.c = sm();
    this.d = sm();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  nextUint32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) * TWO_POW_M53;
  }

  int(n: number): number {
    if (!(n >= 1 && Number.isInteger(n))) throw new ArgumentError(`invalid argument. \`n\` must be a positive integer. Value: \`${n}\`.`);
    // Lemire-free simple form: floor(u * n) with 53-bit u; bias < n / 2^53.
    return Math.floor(this.next() * n);
  }

  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = NaN;
      return s;
    }
    let u = 0;
    do u = this.next(); while (u === 0);
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  shuffle<T extends { length: number; [i: number]: unknown }>(arr: T): T {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = arr[i];
      arr[i] = arr[j];
      arr[j] = t;
    }
    return arr;
  }

  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  fork(): Rng {
    return new Xoshiro128(this.nextUint32() * 4294967296 + this.nextUint32());
  }

  /** The state as [a, b, c, d, hasSpare, spare], plain finite numbers, so the state survives JSON. */
  getState(): number[] {
    const has = Number.isNaN(this.spare) ? 0 : 1;
    return [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0, has, has ? this.spare : 0];
  }

  setState(state: readonly number[]): void {
    const word = (x: unknown) => Number.isInteger(x) && (x as number) >= 0 && (x as number) < 4294967296;
    if (
      !Array.isArray(state) || state.length !== 6 || !state.slice(0, 4).every(word) || state.slice(0, 4).every((x) => x === 0) ||
      (state[4] !== 0 && state[4] !== 1) || !Number.isFinite(state[5])
    ) {
      throw new ArgumentError(
        `invalid argument. A generator state is [a, b, c, d, hasSpare, spare] as getState() returns it: four 32-bit unsigned words, not all 0, hasSpare 0 or 1, a finite spare. Value: \`${JSON.stringify(state)}\`.`,
      );
    }
    this.a = state[0] | 0;
    this.b = state[1] | 0;
    this.c = state[2] | 0;
    this.d = state[3] | 0;
    this.spare = state[4] === 1 ? Number(state[5]) : NaN;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A seeded generator. `seed` is any finite integer (values beyond 2^53 lose bits). */
export function createRng(seed: number): Rng {
  if (!Number.isInteger(seed)) throw new ArgumentError(`invalid argument. \`seed\` must be a finite integer. Value: \`${seed}\`.`);
  return new Xoshiro128(seed);
}
