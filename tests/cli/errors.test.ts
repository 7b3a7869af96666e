import * as fs from 'fs';
import * as path from 'path';
import { cli, BC_TRAIN, BC_TEST, CSV, tempDir, strayFiles } from './helpers';
import { crc32 } from '../../src/model/crc32';

const opts = () => ({ cwd: T.dir });

/**
 * Every error the CLI reports on purpose: a stable code, an exit code (usage 1, data 2, model file 3,
 * numeric 4), a message naming file, line and column, what was found and what was expected, and no stack
 * trace unless --debug.
 */
const T = tempDir('ebp-errors-');
afterAll(() => T.cleanup());

const GOOD = 'a,b,label\n1,2,x\n3,4,y\n5,6,x\n';
let model: string;

beforeAll(async () => {
  T.file('good.csv', GOOD);
  const r = await cli(['train', BC_TRAIN, '--hidden', '8', '--epochs', '1', '--out', 'bc.ebpb', '--quiet'], { cwd: T.dir });
  expect(r.code).toBe(0);
  model = path.join(T.dir, 'bc.ebpb');
});

interface Case {
  name: string;
  files?: Record<string, string | Buffer>;
  argv: string[];
  exit: number;
  code?: string;
  stderr: (string | RegExp)[];
}

const bcHeader = fs.readFileSync(BC_TRAIN, 'utf8').split('\n')[0];
const bcRow = fs.readFileSync(BC_TRAIN, 'utf8').split('\n')[1];

const cases: Case[] = [
  { name: 'missing CSV file', argv: ['train', 'nope.csv'], exit: 2, code: 'ebp.io', stderr: ['error: cannot read nope.csv: no such file.'] },
  { name: 'a directory instead of a CSV file', argv: ['train', '.'], exit: 2, code: 'ebp.io', stderr: ['error: cannot read .: it is a directory'] },
  { name: 'empty file', files: { 'empty.csv': '' }, argv: ['train', 'empty.csv'], exit: 2, code: 'ebp.csvInvalid', stderr: ['error: empty.csv, line 1: the file is empty, expected a header row'] },
  { name: 'only blank lines', files: { 'blank.csv': '\n\n\r\n' }, argv: ['train', 'blank.csv'], exit: 2, stderr: ['blank.csv, line 1: the file is empty'] },
  { name: 'header only', files: { 'header.csv': 'a,b,label\n' }, argv: ['train', 'header.csv'], exit: 2, code: 'ebp.csvInvalid', stderr: ['error: header.csv, line 2: the file has a header but no data rows, expected at least one.'] },
  {
    name: 'ragged row (too few cells)',
    files: { 'ragged.csv': 'a,b,label\n1,2,x\n3,4\n' },
    argv: ['train', 'ragged.csv'],
    exit: 2,
    code: 'ebp.csvInvalid',
    stderr: ['error: ragged.csv, line 3, column 3: found 2 cells, expected 3 as in the header (column "label" and after are missing).'],
  },
  {
    name: 'ragged row (too many cells)',
    files: { 'ragged2.csv': 'a,b,label\r\n1,2,x\r\n3,4,5,y\r\n' },
    argv: ['train', 'ragged2.csv'],
    exit: 2,
    stderr: ['ragged2.csv, line 3, column 4: found 4 cells, expected 3 as in the header (extra cells after the last column; quote cells that contain the delimiter).'],
  },
  {
    name: 'non-numeric cell',
    files: { 'text.csv': 'a,color,label\n1,2,x\n3,red,y\n' },
    argv: ['train', 'text.csv'],
    exit: 2,
    code: 'ebp.csvInvalid',
    stderr: ['error: text.csv, line 3, column 2: column "color" holds "red", expected a number. If "color" holds categories, pass --categorical color to one-hot encode it.'],
  },
  {
    name: 'NaN in the data',
    files: { 'nan.csv': 'a,b,label\n1,2,x\n3,NaN,y\n' },
    argv: ['train', 'nan.csv'],
    exit: 2,
    code: 'ebp.csvInvalid',
    stderr: ['error: nan.csv, line 3, column 2: column "b" holds "NaN", expected a finite number (NaN and infinities are not allowed'],
  },
  { name: 'Inf in the data', files: { 'inf.csv': 'a,b,label\n1,-inf,x\n3,4,y\n' }, argv: ['train', 'inf.csv'], exit: 2, stderr: ['inf.csv, line 2, column 2: column "b" holds "-inf", expected a finite number'] },
  { name: 'overflowing number', files: { 'big.csv': 'a,b,label\n1,1e999,x\n3,4,y\n' }, argv: ['train', 'big.csv'], exit: 2, stderr: ['big.csv, line 2, column 2: column "b" holds "1e999", expected a finite number'] },
  {
    name: 'missing value without --impute',
    files: { 'hole.csv': 'a,b,label\n1,2,x\n3,,y\n' },
    argv: ['train', 'hole.csv'],
    exit: 2,
    stderr: ['hole.csv, line 3, column 2: column "b" has a missing value (an empty cell), expected a number. Pass --impute mean or --impute median'],
  },
  {
    name: 'unknown label column (name)',
    argv: ['train', 'good.csv', '--label', 'target'],
    exit: 2,
    code: 'ebp.csvInvalid',
    stderr: ['error: good.csv, line 1: no column named "target" for the label; the columns are "a", "b", "label".'],
  },
  { name: 'label column index out of range', argv: ['train', 'good.csv', '--label', '5'], exit: 2, stderr: ['good.csv, line 1: label column index 5 is out of range for 3 columns'] },
  {
    name: 'a single class',
    files: { 'one.csv': 'a,b,label\n1,2,x\n3,4,x\n' },
    argv: ['train', 'one.csv'],
    exit: 2,
    code: 'ebp.csvInvalid',
    stderr: ['error: one.csv, column 3: the label column "label" holds a single class ("x") in all 2 rows, expected at least 2 classes.'],
  },
  { name: 'missing label', files: { 'nolabel.csv': 'a,b,label\n1,2,x\n3,4,\n' }, argv: ['train', 'nolabel.csv'], exit: 2, stderr: ['nolabel.csv, line 3, column 3: the label column "label" is empty'] },
  {
    name: 'unclosed quote',
    files: { 'quote.csv': 'a,b,label\n1,"2,x\n3,4,y\n' },
    argv: ['train', 'quote.csv'],
    exit: 2,
    stderr: ['quote.csv, line 2: a quoted field in the row starting here is never closed: the file ends inside quotes, expected a closing double quote (").'],
  },
  {
    name: 'text after a closing quote (read leniently, then not a number)',
    files: { 'quote2.csv': 'a,b,label\n1,"2"x,x\n3,4,y\n' },
    argv: ['train', 'quote2.csv'],
    exit: 2,
    stderr: ['quote2.csv, line 2, column 2: column "b" holds "\\"2\\"x", expected a number.'],
  },
  { name: 'duplicate column names', files: { 'dup.csv': 'a,a,label\n1,2,x\n' }, argv: ['train', 'dup.csv'], exit: 2, stderr: ['dup.csv, line 1, column 2: column name "a" repeats column 1, expected unique column names.'] },
  { name: 'one column only', files: { 'semi.csv': 'a|b|label\n1|2|x\n' }, argv: ['train', 'semi.csv'], exit: 2, stderr: ['semi.csv, line 1: the header has 1 column ("a|b|label"), expected at least 2'] },
  {
    name: 'one column: the hint names the delimiter that was given',
    files: { 'comma.csv': 'a,b,label\n1,2,x\n3,4,y\n' },
    argv: ['train', 'comma.csv', '--delimiter', ';'],
    exit: 2,
    stderr: [
      'error: comma.csv, line 1: the header has 1 column ("a,b,label"), expected at least 2 (features and a label). ' +
        "The file was split at --delimiter ';' as given; if it is not semicolon-separated, pass --delimiter ',' or --delimiter tab, or leave --delimiter out to detect it.\n",
    ],
  },
  {
    name: 'predict: one column for a model of several, with the delimiter that was given',
    argv: ['predict', 'bc.ebpb', BC_TEST, '--delimiter', ';'],
    exit: 2,
    stderr: [
      `error: ${BC_TEST}, line 1: the header has 1 column ("mean_radius,mean_texture,mean_perimet..."), expected the model's 30 feature columns. ` +
        "The file was split at --delimiter ';' as given; if it is not semicolon-separated, pass --delimiter ',' or --delimiter tab, or leave --delimiter out to detect it.\n",
    ],
  },
  {
    name: 'predict / eval: a missing value says imputation is chosen at training time',
    files: { 'hole_bc.csv': `${bcHeader}\n${bcRow}\n${bcRow.replace(/^[^,]+/, '')}\n` },
    argv: ['predict', 'bc.ebpb', 'hole_bc.csv'],
    exit: 2,
    stderr: [
      'error: hole_bc.csv, line 3, column 1: column "mean_radius" has a missing value (an empty cell), expected a number. ' +
        'The model was trained without --impute, so it cannot fill missing values; fill the cell, or train again with --impute mean or --impute median.\n',
    ],
  },
  { name: 'eval: a missing value says imputation is chosen at training time', argv: ['eval', 'bc.ebpb', 'hole_bc.csv'], exit: 2, stderr: ['The model was trained without --impute, so it cannot fill missing values'] },
  { name: 'unknown --categorical column', argv: ['train', 'good.csv', '--categorical', 'colour'], exit: 2, stderr: ['good.csv, line 1: --categorical names "colour", but there is no such column'] },
  { name: 'corrupt gzip', files: { 'bad.csv.gz': Buffer.from([0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) }, argv: ['train', 'bad.csv.gz'], exit: 2, stderr: ['bad.csv.gz'] },

  // Outputs that cannot be written: exit 2 whatever the cause, checked before any work.
  { name: '--out in a missing directory', argv: ['predict', 'bc.ebpb', BC_TEST, '--out', 'nodir/p.csv'], exit: 2, stderr: ['error: cannot write output file nodir/p.csv: the directory nodir does not exist.\n'] },
  { name: '--out is a directory (predict)', files: { 'somedir/keep': 'x' }, argv: ['predict', 'bc.ebpb', BC_TEST, '--out', 'somedir'], exit: 2, stderr: ['error: cannot write output file somedir: it is a directory.\n'] },
  { name: '--out is a directory (train)', files: { 'somedir/keep': 'x' }, argv: ['train', 'good.csv', '--out', 'somedir'], exit: 2, code: 'ebp.io', stderr: ['error: cannot write output file somedir: it is a directory.\n'] },

  // Usage errors (exit 1).
  { name: 'unknown flag, with a suggestion', argv: ['train', 'good.csv', '--epoch', '3'], exit: 1, code: 'commander.unknownOption', stderr: ["error: unknown option '--epoch'", '(Did you mean --epochs?)'] },
  { name: 'unknown command, with a suggestion', argv: ['predcit', 'm', 'x'], exit: 1, stderr: ["error: unknown command 'predcit'", '(Did you mean predict?)'] },
  { name: 'bad option value', argv: ['train', 'good.csv', '--epochs', 'ten'], exit: 1, stderr: ["error: option '--epochs <n>' argument 'ten' is invalid. expected a positive integer, got 'ten'."] },
  { name: 'bad --split', argv: ['train', 'good.csv', '--split', '1.5'], exit: 1, stderr: ['expected a fraction between 0 and 1'] },
  { name: '--split with --test', argv: ['train', 'good.csv', '--split', '0.2', '--test', 'good.csv'], exit: 1, stderr: ["option '--split <fraction>' cannot be used with option '--test <file>'"] },
  { name: '--standardize with --binarize', argv: ['train', 'good.csv', '--standardize', '--binarize', '0'], exit: 1, stderr: ['cannot be used with'] },
  { name: 'bad --delimiter', argv: ['train', 'good.csv', '--delimiter', '|'], exit: 1, stderr: ["expected ',' ';' or tab, got '|'"] },
  { name: 'missing arguments', argv: ['eval', 'model.ebpb'], exit: 1, stderr: ["error: missing required argument 'test.csv'"] },
  { name: 'train without data', argv: ['train'], exit: 1, code: 'ebp.invalidArgument', stderr: ['error: train needs a CSV file (ebp train data.csv) or a built-in dataset (--dataset mnist).'] },
  { name: 'CSV flags with --dataset', argv: ['train', '--dataset', 'mnist', '--split', '0.2'], exit: 1, stderr: ['error: --split only applies to CSV training, not to --dataset.'] },
  { name: 'STE flags without --trainer ste', argv: ['train', 'good.csv', '--lr-start', '0.01'], exit: 1, code: 'ebp.invalidArgument', stderr: ['error: --lr-start only applies to --trainer ste.'] },
  { name: '--trainer ste with non-binary weights', argv: ['train', 'good.csv', '--trainer', 'ste', '--weights', 'gaussian'], exit: 1, code: 'ebp.invalidArgument', stderr: ['error: --trainer ste trains binary (±1) weights; --weights gaussian is for --trainer ebp.'] },
  { name: 'existing output without --force', files: { 'taken.ebpb': 'x' }, argv: ['train', 'good.csv', '--out', 'taken.ebpb'], exit: 1, code: 'ebp.io', stderr: ['error: output file taken.ebpb already exists; pass --force to overwrite it'] },
  { name: '--proba in deterministic mode', argv: ['predict', 'bc.ebpb', BC_TEST, '--proba', '--mode', 'deterministic'], exit: 1, stderr: ['error: --proba needs probabilities'] },
  { name: 'split leaving no training rows', argv: ['train', 'good.csv', '--split', '0.9'], exit: 1, stderr: ['--split 0.9 of 3 rows leaves 3 validation and 0 training rows'] },

  // Model files (exit 3).
  { name: 'missing model file', argv: ['inspect', 'none.ebpb'], exit: 3, code: 'ebp.io', stderr: ['error: cannot read model none.ebpb: no such file.'] },
  { name: 'not a model file', files: { 'text.ebpb': 'hello world, this is text\n' }, argv: ['inspect', 'text.ebpb'], exit: 3, code: 'ebp.modelFormat', stderr: ['error: text.ebpb: not an ebp-bnn model file: it starts with 68 65 6c 6c 6f 20 77 6f, expected the magic 45 42 50 42 4e 4e 00 00'] },
  { name: 'empty model file', files: { 'empty.ebpb': '' }, argv: ['eval', 'empty.ebpb', BC_TEST], exit: 3, code: 'ebp.modelFormat', stderr: ['error: empty.ebpb: the file is truncated: it has 0 bytes, fewer than the 24-byte preamble.'] },
];

describe.each(cases)('$name', (c) => {
  test(`exit ${c.exit}`, async () => {
    for (const [name, content] of Object.entries(c.files ?? {})) {
      fs.mkdirSync(path.dirname(path.join(T.dir, name)), { recursive: true });
      T.file(name, content);
    }
    const r = await cli(c.argv, { cwd: T.dir });
    for (const s of c.stderr) {
      if (typeof s === 'string') expect(r.stderr).toContain(s);
      else expect(r.stderr).toMatch(s);
    }
    expect(r.code).toBe(c.exit);
    expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
    if (c.code) {
      const j = await cli([...c.argv, '--json'], { cwd: T.dir });
      const last = j.stdout.trim().split('\n').pop()!;
      expect(JSON.parse(last).error).toMatchObject({ code: c.code, exitCode: c.exit });
    }
  });
});

describe('model file damage', () => {
  let bytes: Buffer;
  beforeAll(() => {
    bytes = fs.readFileSync(model);
  });

  test('truncated', async () => {
    for (const n of [10, 40, bytes.length - 8]) {
      T.file('trunc.ebpb', bytes.subarray(0, n));
      const r = await cli(['eval', 'trunc.ebpb', BC_TEST], { cwd: T.dir });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/^error: trunc\.ebpb: the file is truncated: it has \d+ bytes/);
    }
  });

  test('corrupt payload (one flipped bit)', async () => {
    const b = Buffer.from(bytes);
    b[b.length - 100] ^= 4;
    T.file('flip.ebpb', b);
    const r = await cli(['predict', 'flip.ebpb', BC_TEST], { cwd: T.dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: flip\.ebpb: checksum mismatch: the file records CRC-32 0x[0-9a-f]{8}, its bytes give 0x[0-9a-f]{8}; the file is corrupt\.\n$/);
    expect(r.stdout).toBe('');
  });

  test('corrupt header (with a valid checksum)', async () => {
    const b = Buffer.from(bytes);
    const H = b.readUInt32LE(12);
    b.fill(0x20, 24, 24 + H); // spaces: not JSON
    b.write('{"format":', 24, 'latin1');
    const end = b.length - 4;
    b.writeUInt32LE(crc32(b, 0, end), end);
    T.file('head.ebpb', b);
    const r = await cli(['inspect', 'head.ebpb'], opts());
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: head\.ebpb: the header is not valid JSON/);
  });

  test('newer format version', async () => {
    const b = Buffer.from(bytes);
    b.writeUInt32LE(3, 8);
    const end = b.length - 4;
    b.writeUInt32LE(crc32(b, 0, end), end);
    T.file('v3.ebpb', b);
    const r = await cli(['inspect', 'v3.ebpb', '--json'], { cwd: T.dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('error: v3.ebpb: model format version 3 is newer than this ebp-bnn reads (version 2); upgrade ebp-bnn.\n');
    expect(JSON.parse(r.stdout).error.code).toBe('ebp.unsupportedVersion');
  });
});

describe('model and CSV do not match', () => {
  test('a feature column is missing (feature-count mismatch)', async () => {
    const lines = fs.readFileSync(BC_TEST, 'utf8').split('\n');
    const cut = lines.map((l) => l.split(',').slice(1).join(',')).join('\n');
    T.file('fewer.csv', cut);
    const r = await cli(['eval', 'bc.ebpb', 'fewer.csv'], { cwd: T.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'error: fewer.csv, line 1: the model expects 30 feature columns, and 1 of them is missing from the header: "mean_radius". The columns must have the names they had in the training file.\n',
    );
  });

  test('renamed columns (column-name mismatch)', async () => {
    const text = fs.readFileSync(BC_TEST, 'utf8').replace(bcHeader, bcHeader.replace('mean_radius', 'radius').replace('mean_area', 'area'));
    T.file('renamed.csv', text);
    const r = await cli(['predict', 'bc.ebpb', 'renamed.csv', '--out', 'p.csv'], { cwd: T.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('2 of them are missing from the header: "mean_radius", "mean_area"; the file has other columns: "radius", "area"');
    expect(fs.existsSync(path.join(T.dir, 'p.csv'))).toBe(false);
  });

  test('a label the model does not know', async () => {
    T.file('newlabel.csv', `${bcHeader}\n${bcRow}\n${bcRow.replace(/,0$/, ',7')}\n`);
    const r = await cli(['eval', 'bc.ebpb', 'newlabel.csv'], { cwd: T.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: newlabel.csv, line 3, column 31: label "7" in column "label" is not one of the model\'s 2 classes ("0", "1").\n');
  });

  test('eval without the label column', async () => {
    T.file('unl.csv', fs.readFileSync(BC_TEST, 'utf8').split('\n').map((l) => l.split(',').slice(0, 30).join(',')).join('\n'));
    const r = await cli(['eval', 'bc.ebpb', 'unl.csv'], { cwd: T.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the label column "label" the model was trained with is not in the header; evaluation needs labels.');
  });

  test('a bad cell late in a predict stream leaves no output file and no temp file', async () => {
    const lines = fs.readFileSync(BC_TEST, 'utf8').trimEnd().split('\n');
    const many = [lines[0], ...Array.from({ length: 1500 }, (_, i) => lines[1 + (i % (lines.length - 1))])];
    many[1400] = many[1400].replace(/^[^,]+/, 'oops');
    const sub = tempDir('ebp-partial-');
    try {
      fs.writeFileSync(path.join(sub.dir, 'in.csv'), many.join('\n'));
      fs.copyFileSync(model, path.join(sub.dir, 'bc.ebpb'));
      const r = await cli(['predict', 'bc.ebpb', 'in.csv', '--out', 'out.csv'], { cwd: sub.dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('in.csv, line 1401, column 1: column "mean_radius" holds "oops", expected a number.');
      expect(strayFiles(sub.dir, ['in.csv', 'bc.ebpb'])).toEqual([]);
    } finally {
      sub.cleanup();
    }
  });
});

(fs.existsSync('/proc/self') ? test : test.skip)('an existing directory that takes no files (/proc) is not called missing', async () => {
  for (const argv of [['predict', 'bc.ebpb', BC_TEST, '--out', '/proc/x.csv'], ['train', 'good.csv', '--out', '/proc/x.ebpb']]) {
    const r = await cli(argv, opts());
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: cannot write output file ${argv[argv.length - 1]}: files cannot be created in /proc.\n`);
  }
});

test('--debug prints the stack trace', async () => {
  const r = await cli(['train', 'nope.csv', '--debug'], { cwd: T.dir });
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^error: cannot read nope\.csv: no such file\.\nIoError: .*\n\s+at /);
});

test('a numeric failure during training exits 4', async () => {
  // Features near the float64 limit overflow the mean-field sums.
  const rows = ['a,b,label'];
  for (let i = 0; i < 40; i++) rows.push(`${i % 2 ? 1e308 : -1e308},${i % 3 ? 1.7e308 : -1.7e308},${i % 2}`);
  T.file('huge.csv', rows.join('\n'));
  const r = await cli(['train', 'huge.csv', '--hidden', '4', '--epochs', '2', '--no-standardize', '--out', 'huge.ebpb'], { cwd: T.dir });
  expect(r.code).toBe(4);
  // An overflowing posterior is divergence: the error says so and what to try (these raw inputs: --standardize).
  expect(r.stderr).toContain('error: training diverged in epoch 1: h of layer 0 at output 0, input 0 is NaN; no model was written.');
  expect(r.stderr).toMatch(/or --standardize\.\n$/);
  expect(fs.existsSync(path.join(T.dir, 'huge.ebpb'))).toBe(false);
});
