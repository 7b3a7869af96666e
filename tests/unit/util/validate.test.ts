import { ArgumentError } from '../../../src/errors';
import { check, formatValue, invalid, oneOf, requireFinite, requireInteger, requireOneOf, requirePositiveInteger } from '../../../src/util/validate';

describe('argument validation grammar', () => {
  it('writes "invalid argument. `name` must be ... Value: `...`."', () => {
    const e = invalid('members', 'a positive integer', 0);
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.code).toBe('ebp.invalidArgument');
    expect(e.message).toBe('invalid argument. `members` must be a positive integer. Value: `0`.');
  });

  it('formats values: numbers as written, strings and objects as JSON, typed arrays by type and head', () => {
    expect(formatValue(NaN)).toBe('NaN');
    expect(formatValue(-Infinity)).toBe('-Infinity');
    expect(formatValue('abc')).toBe('"abc"');
    expect(formatValue([1, Infinity])).toBe('[1,"Infinity"]');
    expect(formatValue(undefined)).toBe('undefined');
    expect(formatValue(new Float64Array([1, 2]))).toBe('Float64Array(2) [1, 2]');
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    expect(formatValue(cyclic)).toBe('[object Object]');
  });

  it('checks integers, ranges, finiteness and choices', () => {
    expect(requirePositiveInteger(3, 'n')).toBe(3);
    expect(() => requirePositiveInteger(1.5, 'n')).toThrow('`n` must be a positive integer. Value: `1.5`.');
    expect(() => requireInteger(300, 'threads', { min: 1, max: 256 })).toThrow('`threads` must be an integer from 1 to 256. Value: `300`.');
    expect(() => requireInteger('2', 'k')).toThrow('`k` must be an integer. Value: `"2"`.');
    expect(requireFinite(0, 'x', 'nonNegative')).toBe(0);
    expect(() => requireFinite(0, 'x', 'positive')).toThrow('`x` must be a positive finite number. Value: `0`.');
    expect(() => requireFinite(Infinity, 'x')).toThrow('a finite number. Value: `Infinity`.');
    expect(requireOneOf('js', 'backend', ['auto', 'wasm', 'js'])).toBe('js');
    expect(() => requireOneOf('gpu', 'backend', ['auto', 'wasm', 'js'])).toThrow("`backend` must be 'auto', 'wasm' or 'js'. Value: `\"gpu\"`.");
    expect(oneOf(['a'])).toBe("'a'");
    expect(() => check(false, 'seed', 'a finite integer', 0.5)).toThrow('`seed` must be a finite integer. Value: `0.5`.');
    expect(() => check(true, 'seed', 'a finite integer', 0.5)).not.toThrow();
  });
});
