/**
 * Accuracy against the mpmath tables in tests/fixtures/special (regenerate with
 * `python3 tests/fixtures/special/generate.py`). Set SPECIAL_REPORT=1 to print the maximum
 * relative error per function and domain (the numbers quoted in docs/numerics.md).
 */
import { erf, erfc, erfcx, normPdf, normCdf, logNormCdf, normPdfOverCdf } from '../../../src/special';
import { isClose, relErr } from '../../helpers/close';
import { loadFixture } from './fixtures';

const FUNCTIONS: Record<string, (x: number) => number> = {
  erf,
  erfc,
  erfcx,
  normPdf,
  normCdf,
  logNormCdf,
  normPdfOverCdf,
};

const RTOL = 1e-14;
// Subnormal results: a couple of units of the smallest subnormal (4.9e-324).
const UNDERFLOW_ATOL = 2e-323;

const EPS = 2 ** -52;
const report: string[] = [];

describe.each(Object.keys(FUNCTIONS))('%s vs mpmath', (name) => {
  const fn = FUNCTIONS[name]!;
  const fixture = loadFixture(name);

  test('fixture is non-trivial', () => {
    const n = Object.values(fixture.domains).reduce((s, rows) => s + rows.length, 0);
    expect(n).toBeGreaterThan(150);
  });

  test.each(Object.keys(fixture.domains))('domain %s', (domain) => {
    const rows = fixture.domains[domain]!;
    const underflow = domain.startsWith('underflow');
    const opts = { rtol: RTOL, atol: underflow ? UNDERFLOW_ATOL : 0 };
    let maxRel = 0;
    let worstX = NaN;
    let maxAbs = 0;
    const failures: string[] = [];
    for (const [x, expected] of rows) {
      const actual = fn(x);
      const rel = relErr(actual, expected);
      if (rel > maxRel) {
        maxRel = rel;
        worstX = x;
      }
      maxAbs = Math.max(maxAbs, Math.abs(actual - expected));
      if (!isClose(actual, expected, opts)) {
        failures.push(`${name}(${x}) = ${actual}, expected ${expected} (rel ${rel.toExponential(2)})`);
      }
    }
    const err = underflow ? `max abs ${maxAbs.toExponential(2)}` : `max rel ${maxRel.toExponential(2)}`;
    report.push(
      `${name.padEnd(15)} ${domain.padEnd(12)} n=${String(rows.length).padStart(3)}  ${err}` +
        (underflow ? '' : maxRel === 0 ? ' (exact)' : ` (${(maxRel / EPS).toFixed(2)} eps) at x=${worstX}`),
    );
    expect(failures).toEqual([]);
  });
});

afterAll(() => {
  if (process.env.SPECIAL_REPORT) {
    // eslint-disable-next-line no-console
    console.log(`max error per function/domain (eps = 2^-52 = ${EPS.toExponential(3)})\n${report.join('\n')}`);
  }
});
