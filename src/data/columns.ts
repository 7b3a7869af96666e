/**
 * Naming the columns of a CSV file in options and flags (`--label`, `--categorical`, `--drop`): a header
 * name, a 0-based index (negative counts from the end), or a name in double quotes, which is always a name
 * (so a list item may hold a comma: `"a, b",c`; `""` is a quote inside the quotes). A name that exists in the
 * header wins over an index.
 */

/** A column named in options: a header name (or a quoted one), or a 0-based index as a number or a string of digits. */
export type ColumnRef = string | number;

/** Where a {@link ColumnRef} points in a header: a column index, or why not. */
export type ResolvedColumn = { index: number } | { error: 'missing' | 'range' };

const INDEX = /^-?\d+$/;

function unquote(s: string): string | null {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1).replace(/""/g, '"') : null;
}

/** The column of a header that `ref` names (see the module comment). */
export function resolveColumn(header: readonly string[], ref: ColumnRef): ResolvedColumn {
  const n = header.length;
  const byIndex = (k: number): ResolvedColumn => (Number.isInteger(k) && k < n && k >= -n ? { index: k < 0 ? n + k : k } : { error: 'range' });
  if (typeof ref === 'number') return byIndex(ref);
  const exact = header.indexOf(ref);
  if (exact >= 0) return { index: exact };
  const name = unquote(ref);
  if (name !== null) {
    const j = header.indexOf(name);
    return j >= 0 ? { index: j } : { error: 'missing' };
  }
  return INDEX.test(ref) ? byIndex(Number(ref)) : { error: 'missing' };
}

/** A {@link ColumnRef} as messages show it: a name in JSON quotes, an index as it was given. */
export function showColumnRef(ref: ColumnRef): string {
  if (typeof ref === 'number') return `index ${ref}`;
  const name = unquote(ref);
  if (name !== null) return JSON.stringify(name);
  return INDEX.test(ref) ? `index ${ref}` : JSON.stringify(ref);
}

/**
 * Split a comma-separated list of columns as one CSV record: items trimmed, quotes kept (they mark a name,
 * see {@link resolveColumn}). Null when an item is empty or a quote is not closed.
 */
export function splitColumnList(v: string): string[] | null {
  const items: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      items.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (quoted) return null;
  items.push(cur.trim());
  return items.some((s) => s === '' || s === '""') ? null : items;
}

/**
 * How to name column `name` in a column-list flag on a POSIX shell's command line: plain when it is a simple
 * word, in double quotes when it holds spaces, and as a quoted list item inside single quotes when it holds a
 * comma or a quote (`'"a, b"'`).
 */
export function columnFlagValue(name: string): string {
  const listItem = /[",]/.test(name) || name !== name.trim() ? `"${name.replace(/"/g, '""')}"` : name;
  if (/^[A-Za-z0-9_.:/@%+=-]+$/.test(listItem)) return listItem;
  if (listItem === name && !/["$`\\!]/.test(name)) return `"${name}"`;
  return `'${listItem.replace(/'/g, `'\\''`)}'`;
}
