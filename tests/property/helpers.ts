import * as fc from 'fast-check';

/** Cells and separators that stress a CSV reader. */
const TOKENS = ['"', '""', ',', ';', '\t', '\n', '\r\n', '\r', ' ', 'NaN', 'inf', '-', 'NA', '?', '1e999', '0', '1.5', 'x', '\ufeff', '\u00e9', '\uffff', ''];

export type Mutation =
  | { op: 'delete'; at: number; len: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'replace'; at: number; text: string }
  | { op: 'truncate'; at: number }
  | { op: 'duplicateLine'; at: number }
  | { op: 'swapLines'; a: number; b: number };

const position = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: position.map((x) => x), len: fc.integer({ min: 1, max: 40 }) }).map((m) => m as Mutation),
  fc.record({ op: fc.constant('insert' as const), at: position, text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 8 })) }).map((m) => m as Mutation),
  fc.record({ op: fc.constant('replace' as const), at: position, text: fc.constantFrom(...TOKENS) }).map((m) => m as Mutation),
  fc.record({ op: fc.constant('truncate' as const), at: position }).map((m) => m as Mutation),
  fc.record({ op: fc.constant('duplicateLine' as const), at: position }).map((m) => m as Mutation),
  fc.record({ op: fc.constant('swapLines' as const), a: position, b: position }).map((m) => m as Mutation),
);

/** Apply mutations (positions are fractions of the current length). */
export function mutate(text: string, ms: readonly Mutation[]): string {
  let s = text;
  for (const m of ms) {
    const pos = (f: number) => Math.floor(f * (s.length + 1));
    switch (m.op) {
      case 'delete': {
        const i = pos(m.at);
        s = s.slice(0, i) + s.slice(i + m.len);
        break;
      }
      case 'insert': {
        const i = pos(m.at);
        s = s.slice(0, i) + m.text + s.slice(i);
        break;
      }
      case 'replace': {
        const i = pos(m.at);
        s = s.slice(0, i) + m.text + s.slice(i + m.text.length);
        break;
      }
      case 'truncate':
        s = s.slice(0, pos(m.at));
        break;
      case 'duplicateLine': {
        const lines = s.split('\n');
        const i = Math.floor(m.at * lines.length);
        lines.splice(i, 0, lines[i] ?? '');
        s = lines.join('\n');
        break;
      }
      case 'swapLines': {
        const lines = s.split('\n');
        const a = Math.floor(m.a * lines.length);
        const b = Math.floor(m.b * lines.length);
        [lines[a], lines[b]] = [lines[b], lines[a]];
        s = lines.join('\n');
        break;
      }
    }
  }
  return s;
}

/** Byte-level mutations of a binary file. */
export type ByteMutation = { op: 'flip'; at: number; bit: number } | { op: 'set'; at: number; value: number } | { op: 'truncate'; at: number } | { op: 'insert'; at: number; bytes: number[] };

export const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }).map((m) => m as ByteMutation),
  fc.record({ op: fc.constant('set' as const), at: position, value: fc.integer({ min: 0, max: 255 }) }).map((m) => m as ByteMutation),
  fc.record({ op: fc.constant('truncate' as const), at: position }).map((m) => m as ByteMutation),
  fc.record({ op: fc.constant('insert' as const), at: position, bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }) }).map((m) => m as ByteMutation),
);

export function mutateBytes(src: Uint8Array, ms: readonly ByteMutation[]): Uint8Array {
  let b = Uint8Array.from(src);
  for (const m of ms) {
    const i = Math.min(b.length - 1, Math.floor(m.at * b.length));
    if (b.length === 0) break;
    if (m.op === 'flip') b[i] ^= 1 << m.bit;
    else if (m.op === 'set') b[i] = m.value;
    else if (m.op === 'truncate') b = b.slice(0, i);
    else b = Uint8Array.from([...b.subarray(0, i), ...m.bytes, ...b.subarray(i)]);
  }
  return b;
}
