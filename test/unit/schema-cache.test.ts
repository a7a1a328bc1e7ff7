// Validators compiled once and loaded from ajv's standalone code afterwards: the same answers
// and error details either way, and a changed schema never loads an old validator.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect, it } from 'vitest';
import { compiledValidators } from '../../engine/core/schema/compiled';

const CACHE = join(dirname(require.resolve('ajv/package.json')), '..', '.cache', 'engine');
const options = { allErrors: true, strict: false, verbose: true };

it('compiles, keeps the code, and loads it with the same verdicts and error details', () => {
  const marker = `m${process.pid}${Date.now()}`;
  const schema = { $id: `${marker}.json`, type: 'object', properties: { port: { type: 'integer' } }, additionalProperties: false };
  // Other test files may add cache files meanwhile: ours are the ones naming the marker.
  const ours = () => (existsSync(CACHE) ? readdirSync(CACHE).filter((f) => readFileSync(join(CACHE, f), 'utf8').includes(marker)) : []);
  expect(ours()).toEqual([]);
  const fresh = compiledValidators(options, [schema], { site: `${marker}.json` }).site;
  expect(ours()).toHaveLength(1);
  const cached = compiledValidators(options, [schema], { site: `${marker}.json` }).site;
  expect(cached).not.toBe(fresh);
  for (const v of [fresh, cached]) {
    expect(v({ port: 5060 })).toBe(true);
    expect(v({ port: 'x', extra: 1 })).toBe(false);
    expect(v.errors?.map((e) => e.keyword).sort()).toEqual(['additionalProperties', 'type']);
    // verbose: the parent schema lists the known names ("did you mean").
    const unknown = v.errors!.find((e) => e.keyword === 'additionalProperties')!;
    expect(Object.keys((unknown.parentSchema as { properties: object }).properties)).toEqual(['port']);
  }
  // Another schema under the same name is compiled anew, never taken from the old file.
  const stricter = compiledValidators(options, [{ ...schema, properties: { port: { type: 'integer', maximum: 100 } } }], { site: `${marker}.json` }).site;
  expect(stricter({ port: 5060 })).toBe(false);
  expect(ours()).toHaveLength(2);
  for (const f of ours()) rmSync(join(CACHE, f));
});
