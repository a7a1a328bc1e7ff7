// Python's str() of template values (load/template/pyrepr.ts), checked against what CPython prints.
import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { pythonStr } from '../../engine/core/load/template/pyrepr';

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
