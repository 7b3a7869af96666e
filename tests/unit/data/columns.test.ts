import { columnFlagValue, resolveColumn, showColumnRef, splitColumnList } from '../../../src/data/columns';
import { planColumns } from '../../../src/data/csv-table';
import { numberCellError } from '../../../src/data/csv-cells';

/** Issue 12 item 8: columns by name, by 0-based index, or by a quoted name that may hold a comma. */
const H = ['id', 'a, b', 'c', '0', 'label'];

describe('resolveColumn', () => {
  test.each([
    ['id', 0], ['a, b', 1], ['"a, b"', 1], [2, 2], ['2', 2], ['-1', 4], [-5, 0],
    ['0', 3], // a header name wins over an index
    ['"0"', 3],
  ] as [string | number, number][])('%p is column %p', (ref, index) => {
    expect(resolveColumn(H, ref)).toEqual({ index });
  });
  test.each([['nope', 'missing'], ['"2"', 'missing'], ['5', 'range'], [-6, 'range'], [1.5, 'range']] as [string | number, string][])('%p: %p', (ref, error) => {
    expect(resolveColumn(H, ref)).toEqual({ error });
  });
  test('messages show names quoted and indices as indices', () => {
    expect(showColumnRef('"a, b"')).toBe('"a, b"');
    expect(showColumnRef('3')).toBe('index 3');
    expect(showColumnRef(-1)).toBe('index -1');
  });
});

describe('splitColumnList', () => {
  test.each([
    ['a,b', ['a', 'b']],
    [' a , b ', ['a', 'b']],
    ['"a, b",c', ['"a, b"', 'c']],
    ['"say ""hi""",0', ['"say ""hi"""', '0']],
  ])('%p', (v, items) => expect(splitColumnList(v)).toEqual(items));
  test.each(['a,,b', '"a', '', '""'])('%p is refused', (v) => expect(splitColumnList(v)).toBeNull());
  test('a quoted item names the column "say "hi""', () => {
    expect(resolveColumn(['say "hi"', 'x'], splitColumnList('"say ""hi"""')![0])).toEqual({ index: 0 });
  });
});

describe('the --categorical hint names the column so that the flag accepts it', () => {
  test.each([
    ['color', 'color'],
    ['my col', '"my col"'],
    ['a, b', `'"a, b"'`],
  ])('%p -> %s', (name, flag) => expect(columnFlagValue(name)).toBe(flag));

  test('the hint for a header "a, b", split as a shell splits it, plans "a, b" as categorical', () => {
    const e = numberCellError('invalid', 'x', 'a, b', { file: 'q.csv', line: 2, column: 2 });
    expect(e.message).toContain(`pass --categorical '"a, b"' (or its index, --categorical 1) to one-hot encode it`);
    // What the shell hands over for '"a, b"' is the text between the single quotes.
    const plan = planColumns(H, { categorical: splitColumnList('"a, b"')! });
    expect(plan.features.find((f) => f.name === 'a, b')!.kind).toBe('categorical');
  });
});

describe('planColumns: --drop and indices', () => {
  test('dropped columns are not features; categorical and label by index', () => {
    const p = planColumns(H, { drop: ['id', '"0"'], categorical: ['1'], label: -1 });
    expect(p.features.map((f) => [f.name, f.kind])).toEqual([['a, b', 'categorical'], ['c', 'numeric']]);
    expect(p.labelName).toBe('label');
  });
  test.each([
    [{ drop: ['label'] }, '--drop names "label", which is the label column'],
    [{ drop: ['id'], categorical: ['0'] }, '--categorical names "0"'],
    [{ drop: [0], categorical: ['id'] }, '"id" is both dropped (--drop) and categorical (--categorical)'],
    [{ drop: ['9'] }, '--drop names column index 9, out of range for 5 columns (0..4, or -5..-1)'],
    [{ drop: ['nope'] }, '--drop names "nope", but there is no such column; the columns are "id", "a, b", "c", "0", "label" (a 0-based index works too).'],
    [{ drop: ['id', 'a, b', 'c', '0'] }, 'there are no feature columns besides the label and the dropped columns'],
  ])('%p', (opts, msg) => {
    if (msg.startsWith('--categorical names "0"')) {
      // "0" is a column name (the header wins), so this is fine.
      expect(() => planColumns(H, opts)).not.toThrow();
      return;
    }
    expect(() => planColumns(H, { file: 'h.csv', ...opts })).toThrow(msg);
  });
});
