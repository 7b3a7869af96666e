/**
 * The argument-error grammar, written once: "invalid argument. `name` must be <expectation>. Value: `<value>`."
 * Every public entry point checks its options through these helpers, so messages read the same everywhere
 * and a new check is one line. They throw {@link ArgumentError} (exit code 1 in the CLI).
 */
import { ArgumentError } from '../errors';

/** `v` as the message shows it: numbers and keywords as written, everything else as JSON (NaN, ±∞ kept). */
export function formatValue(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || v === undefined || v === null) return String(v);
  if (typeof v === 'function') return 'a function';
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const a = Array.from(v as unknown as ArrayLike<number>);
    return `${v.constructor.name}(${a.length}) [${a.slice(0, 8).map(String).join(', ')}${a.length > 8 ? ', …' : ''}]`;
  }
  try {
    const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));
    return s === undefined ? String(v) : s;
  } catch {
    return String(v);
  }
}

/** An {@link ArgumentError} with the grammar's prefix: `invalid argument. <sentence>` (the sentence ends with a full stop). */
export function argumentError(sentence: string): ArgumentError {
  return new ArgumentError(`invalid argument. ${sentence}`);
}

/** "invalid argument. `name` must be <expected>. Value: `<value>`." */
export function invalid(name: string, expected: string, value: unknown): ArgumentError {
  return argumentError(`\`${name}\` must be ${expected}. Value: \`${formatValue(value)}\`.`);
}

/** Throws unless `ok`; the message is {@link invalid}'s. */
export function check(ok: boolean, name: string, expected: string, value: unknown): void {
  if (!ok) throw invalid(name, expected, value);
}

/** An integer in [min, max] (bounds inclusive; either may be omitted). Returns it. */
export function requireInteger(value: unknown, name: string, range: { min?: number; max?: number } = {}): number {
  const { min, max } = range;
  const ok = typeof value === 'number' && Number.isInteger(value) && (min === undefined || value >= min) && (max === undefined || value <= max);
  if (!ok) throw invalid(name, describeIntegerRange(min, max), value);
  return value as number;
}

/** An integer ≥ 1. */
export function requirePositiveInteger(value: unknown, name: string): number {
  return requireInteger(value, name, { min: 1 });
}

/** An integer ≥ 0. */
export function requireNonNegativeInteger(value: unknown, name: string): number {
  return requireInteger(value, name, { min: 0 });
}

/** A finite number, optionally > 0 (`positive`) or ≥ 0 (`nonNegative`). */
export function requireFinite(value: unknown, name: string, sign: 'any' | 'positive' | 'nonNegative' = 'any'): number {
  const ok =
    typeof value === 'number' && Number.isFinite(value) && (sign === 'any' || (sign === 'positive' ? value > 0 : value >= 0));
  if (!ok) throw invalid(name, sign === 'any' ? 'a finite number' : sign === 'positive' ? 'a positive finite number' : 'a non-negative finite number', value);
  return value as number;
}

/** One of `options` (compared with ===). */
export function requireOneOf<T>(value: unknown, name: string, options: readonly T[]): T {
  if (!options.includes(value as T)) throw invalid(name, oneOf(options), value);
  return value as T;
}

/** "'a', 'b' or 'c'". */
export function oneOf(options: readonly unknown[]): string {
  const q = options.map((o) => (typeof o === 'string' ? `'${o}'` : formatValue(o)));
  return q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

function describeIntegerRange(min: number | undefined, max: number | undefined): string {
  if (min === 1 && max === undefined) return 'a positive integer';
  if (min === 0 && max === undefined) return 'a non-negative integer';
  if (min !== undefined && max !== undefined) return `an integer from ${min} to ${max}`;
  if (min !== undefined) return `an integer ≥ ${min}`;
  if (max !== undefined) return `an integer ≤ ${max}`;
  return 'an integer';
}
