// ajv validators compiled once per schema and kept as ajv's standalone code in
// node_modules/.cache/engine/: compiling the playbook schema (every module's arguments) takes
// most of a second, loading its compiled code a few milliseconds. The file is named by a hash of
// the schemas, the options and ajv's version, so a changed module schema compiles anew.
import type { Options, ValidateFunction } from 'ajv';
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const CACHE_DIR = join(dirname(require.resolve('ajv/package.json')), '..', '.cache', 'engine');

function keyOf(options: Options, schemas: object[], exports: Record<string, string>): string {
  const ajvVersion = (require('ajv/package.json') as { version: string }).version;
  return createHash('sha256').update(JSON.stringify({ ajvVersion, options, schemas, exports })).digest('hex').slice(0, 24);
}

function compileAll<K extends string>(
  options: Options,
  schemas: object[],
  exports: Record<K, string>,
): { validators: Record<K, ValidateFunction>; code: string } {
  const Ajv = (require('ajv') as typeof import('ajv')).default;
  const standaloneCode = (require('ajv/dist/standalone') as typeof import('ajv/dist/standalone')).default;
  const ajv = new Ajv({ ...options, code: { source: true } });
  for (const schema of schemas) ajv.addSchema(schema);
  const validators = Object.fromEntries(Object.entries<string>(exports).map(([name, id]) => [name, ajv.getSchema(id)!])) as Record<K, ValidateFunction>;
  return { validators, code: standaloneCode(ajv, exports) };
}

/** Writes the code beside its final name and renames it: a reader never loads half a file. */
function keep(file: string, code: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, code);
    renameSync(temp, file);
  } catch {
    // A read-only install compiles every time, as it did before the cache.
  }
}

/** Validators for schemas (each with its $id, $refs between them resolved), exported by name: compiled, or loaded from the cache. */
export function compiledValidators<K extends string>(options: Options, schemas: object[], exports: Record<K, string>): Record<K, ValidateFunction> {
  const file = join(CACHE_DIR, `${keyOf(options, schemas, exports)}.js`);
  try {
    return require(file) as Record<K, ValidateFunction>;
  } catch {
    const { validators, code } = compileAll(options, schemas, exports);
    keep(file, code);
    return validators;
  }
}
