import * as fs from 'fs';
import * as path from 'path';

/** Issue 12 item 12: what a consumer install gets and runs. */
const ROOT = path.join(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { license: string; files: string[]; scripts: Record<string, string> };

test('a LICENSE file with the MIT text the README and package.json name, shipped in the package', () => {
  expect(pkg.license).toBe('MIT');
  const text = fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8');
  expect(text).toMatch(/^MIT License\n/);
  expect(text).toContain('Permission is hereby granted, free of charge');
  expect(pkg.files).toContain('LICENSE');
});

test('the build runs on prepack (for publishing), not on prepare (which consumer installs do not run for a registry package)', () => {
  expect(pkg.scripts.prepack).toBe('npm run build --silent');
  expect(pkg.scripts.prepare).toBeUndefined();
});
