// Python's str() of template values (load/template/pyrepr.ts), checked against what CPython prints.
import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { pythonFormat } from '../../engine/core/load/template/pyformat';
import { literalEval, pythonEqual, pythonStr, tuple } from '../../engine/core/load/template/pyrepr';
import { pythonRegExp } from '../../engine/core/pyregex';

it('lists, dicts, strings with quotes, control and unicode characters, floats and None print as CPython prints them', () => {
  const values: unknown[] = [
    ['é\u0000\u200b😀\u007f\u2028', "it's", 'say "hi"', 'both \' and "', 'tab\tnew\nline\r', 'back\\slash'],
    [1e-7, 1e21, 0.1, -3, 2.5],
    { a: null, b: [true, false], 'key with space': { nested: [] } },
    true,
    null,
    'a plain string',
  ];
  // The same values built in Python from JSON, printed with str().
  const python = execFileSync('/usr/bin/python3', ['-c', 'import json,sys\nfor v in json.loads(sys.stdin.read()): print(str(v))'], {
    input: JSON.stringify(values),
  });
  expect(`${values.map(pythonStr).join('\n')}\n`).toBe(python.toString());
  expect([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY].map((n) => pythonStr([n]))).toEqual(['[nan]', '[inf]', '[-inf]']);
});

it("reads Python literals as ast.literal_eval (with JSON's names, as Ansible's Json2Python), and nothing else", () => {
  expect(literalEval("['a', \"b\", 1, -2.5, True, None, {'k': [false, null]}, ('t',)]")).toEqual({
    value: ['a', 'b', 1, -2.5, true, null, { k: [false, null] }, tuple('t')],
  });
  expect(literalEval("{'a': 'x\\ny'}\n")).toEqual({ value: { a: 'x\ny' } });
  expect(literalEval("'ab' 'cd'")).toEqual({ value: 'abcd' });
  for (const text of ['[1, 2] and more', '[undefined_name]', "{'a': }", '[1,', "['unterminated]"]) expect(literalEval(text)).toBeUndefined();
});

it("compares as Python's ==: by value, True equal to 1, a string never equal to a number", () => {
  expect(pythonEqual([1, { a: [2] }], [1, { a: [2] }])).toBe(true);
  expect(pythonEqual({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
  expect(pythonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
  expect(pythonEqual(true, 1)).toBe(true);
  expect(pythonEqual('1', 1)).toBe(false);
  expect(pythonEqual(null, undefined)).toBe(false);
  expect(pythonEqual([1, 2], [2, 1])).toBe(false);
});

it("reads Python's inline flags and named groups in regular expressions", () => {
  expect(pythonRegExp('(?m)^b$').test('a\nb\nc')).toBe(true);
  expect(pythonRegExp('^b$').test('a\nb\nc')).toBe(false);
  expect(pythonRegExp('(?i)ABC').test('abc')).toBe(true);
  expect('k=v'.replace(pythonRegExp('(?P<key>\\w+)=(?P=key)?'), '$<key>')).toBe('kv');
});

it('formats `format % args` as CPython does: conversions, flags, width, precision, mapping keys', () => {
  const cases: [string, unknown[]][] = [
    ['%s|%r|%5s|%-5s|%.2s', ['a', 'b', 'c', 'd', 'xyz']],
    ['%d|%05d|%+d|% d|%-4d|%i|%u', [42, -42, 7, 7, 3, 9, 8]],
    ['%x|%X|%#x|%o|%#o|%08.3f|%e|%E', [255, 255, 255, 8, 8, 3.25159, 12345.678, 0.000123]],
    ['%g|%g|%g|%G|%#g|%c|%c|%%', [100000, 1e6, 0.0001234, 1e-10, 1.5, 65, 'z']],
    ['%s and %r', [[1, 'a', null], { k: true }]],
    ['%(name)s is %(age)03d', [{ name: 'x', age: 7 }]],
  ];
  const python = execFileSync(
    '/usr/bin/python3',
    ['-c', 'import json,sys\nfor f, a in json.loads(sys.stdin.read()): print(f % (a[0] if len(a) == 1 and isinstance(a[0], dict) else tuple(a)))'],
    { input: JSON.stringify(cases), encoding: 'utf8' },
  );
  expect(`${cases.map(([f, a]) => pythonFormat(f, a)).join('\n')}\n`).toBe(python);
  expect(() => pythonFormat('%s %s', ['one'])).toThrow('not enough arguments for format string');
  expect(() => pythonFormat('%s', ['one', 'two'])).toThrow('not all arguments converted during string formatting');
});
