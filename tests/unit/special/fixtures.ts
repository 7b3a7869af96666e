/** Loader for the mpmath reference tables in tests/fixtures/special (see generate.py there). */
import { readFileSync } from 'fs';
import { join } from 'path';

export interface FixtureFile {
  function: string;
  oracle: string;
  generator: string;
  /** Domain name → [x, f(x)] pairs. Names starting with "underflow" have subnormal results. */
  domains: Record<string, Array<[number, number]>>;
}

const DIR = join(__dirname, '..', '..', 'fixtures', 'special');

export function loadFixture(name: string): FixtureFile {
  return JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as FixtureFile;
}

/** The oracle value of fixture `name` at exactly x (throws if x is not in any table). */
export function oracleAt(name: string, x: number): number {
  const f = loadFixture(name);
  for (const rows of Object.values(f.domains)) {
    for (const [xi, yi] of rows) if (xi === x) return yi;
  }
  throw new Error(`${name}: no fixture point at ${x}`);
}
