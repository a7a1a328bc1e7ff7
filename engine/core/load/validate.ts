// Validates loaded YAML against the JSON Schemas built from the registered modules, and turns
// ajv's errors into file:line:col messages that name the field and suggest the nearest valid name.
import type { ErrorObject, ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError, suggestion } from '../errors';
import { buildInventorySchema, buildPlaybookSchema, buildTasksSchema } from '../schema/build';
import { compiledValidators } from '../schema/compiled';
import { positionIn, type YamlSource } from './yaml';

export type SchemaName = 'playbook' | 'tasks' | 'inventory';

let validators: Record<SchemaName, ValidateFunction> | undefined;

function compile(): Record<SchemaName, ValidateFunction> {
  // verbose: errors carry their parent schema, which lists the valid names for suggestions.
  validators ??= compiledValidators(
    { allErrors: true, strict: false, allowUnionTypes: true, verbose: true },
    [buildTasksSchema(), buildPlaybookSchema(), buildInventorySchema()],
    {
      tasks: 'tasks.schema.json',
      playbook: 'playbook.schema.json',
      inventory: 'inventory.schema.json',
    },
  );
  return validators;
}

function pathOf(instancePath: string): (string | number)[] {
  return instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** Known keys at the place of an additionalProperties error, for "did you mean". */
function knownKeys(error: ErrorObject, schema: SchemaName | 'vars'): string[] {
  const parent = error.parentSchema as { properties?: Record<string, unknown> } | undefined;
  const keys = Object.keys(parent?.properties ?? {});
  return schema !== 'inventory' && keys.includes('when') ? keys.filter((k) => !k.startsWith('ansible.builtin.')) : keys;
}

function describe(error: ErrorObject, schema: SchemaName | 'vars'): { message: string; key?: string; taskLevel?: boolean } {
  const params = error.params as Record<string, any>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = knownKeys(error, schema);
      const isTask = known.includes('when') && known.includes('register');
      const what = isTask ? 'unknown module or task keyword' : 'unknown field';
      return { message: `${what} '${key}'${suggestion(key, known)}`, key, taskLevel: isTask };
    }
    case 'required':
      return { message: `missing required field '${params.missingProperty}'` };
    case 'enum':
      return { message: `must be one of: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'type':
      return { message: `must be ${[params.type].flat().join(' or ')}` };
    case 'pattern':
      return { message: `must match ${params.pattern}` };
    default:
      return { message: error.message ?? error.keyword };
  }
}

/** anyOf produces one error per branch; the most specific one (deepest path) is the useful one. */
function mostUseful(errors: ErrorObject[]): ErrorObject[] {
  const real = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'pattern');
  const pool = real.length ? real : errors;
  const deepest = Math.max(...pool.map((e) => e.instancePath.split('/').length));
  const chosen = pool.filter((e) => e.instancePath.split('/').length === deepest);
  const seen = new Set<string>();
  return chosen.filter((e) => {
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    return !seen.has(key) && seen.add(key);
  });
}

/**
 * mostUseful for errors of many tasks at once: an error with a more specific one below it (an
 * anyOf and its branch) goes, errors of other tasks stay whatever their depth.
 */
function usefulInEachPlace(errors: ErrorObject[]): ErrorObject[] {
  const real = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'pattern');
  const seen = new Set<string>();
  return real.filter((e) => {
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    const shadowed = real.some((o) => o.instancePath.startsWith(`${e.instancePath}/`));
    return !shadowed && !seen.has(key) && seen.add(key);
  });
}

/** Throws one InputError listing every problem (first one positioned) when data is invalid. */
export function validate(schema: SchemaName, data: unknown, src: YamlSource, basePath: (string | number)[] = []): void {
  report(compile()[schema], schema, data, src, basePath);
}

/**
 * The schema a site's vars file names, for the values that reach the site from elsewhere too:
 * inventory, play vars, -e, and each value after templating. Properties marked `writeOnly`
 * (JSON Schema's word for a value that is set, never shown) are secrets.
 */
export interface SiteSchema {
  file: string;
  properties: string[];
  /** Why the value breaks the schema, or undefined when it fits. */
  problem(name: string, value: unknown): string | undefined;
  /** The strings at writeOnly places of a value of property `name`. */
  secretsIn(name: string, value: unknown): string[];
}

const siteSchemas = new Map<string, { check: ValidateFunction; site: SiteSchema }>();

function compileSite(schemaFile: string, named: string, file: string): { check: ValidateFunction; site: SiteSchema } {
  const hit = siteSchemas.get(schemaFile);
  if (hit) return hit;
  const Ajv = (require('ajv') as typeof import('ajv')).default;
  let schema: { properties?: Record<string, object>; definitions?: Record<string, object> };
  try {
    schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
  } catch (err) {
    throw new InputError(`schema ${named} named in the file cannot be read: ${(err as Error).message}`, { file, line: 1, col: 1 });
  }
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true, verbose: true });
  const check = ajv.compile(schema);
  // One value at a time: nothing is required and other variables are not the schema's business.
  // `-e key=value` gives strings, as in Ansible: "1100" is a fine integer there (coerced).
  const single = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true, verbose: true, coerceTypes: true }).compile({
    ...schema,
    required: [],
    additionalProperties: true,
  });
  const site: SiteSchema = {
    file: schemaFile,
    properties: Object.keys(schema.properties ?? {}),
    problem(name, value) {
      if (single({ [name]: value })) return undefined;
      return mostUseful(single.errors ?? [])
        .map((e) => describe(e, 'vars').message)
        .join('; ');
    },
    secretsIn: (name, value) => writeOnlyStrings(schema.properties?.[name], value, schema.definitions ?? {}),
  };
  const entry = { check, site };
  siteSchemas.set(schemaFile, entry);
  return entry;
}

type SchemaNode = { $ref?: string; writeOnly?: boolean; properties?: Record<string, SchemaNode>; items?: SchemaNode; anyOf?: SchemaNode[] };

/** Strings of `value` that sit where the schema says writeOnly (local $refs and anyOf followed). */
function writeOnlyStrings(node: SchemaNode | undefined, value: unknown, definitions: Record<string, SchemaNode>): string[] {
  if (!node || value === null || value === undefined) return [];
  if (node.$ref?.startsWith('#/definitions/')) return writeOnlyStrings(definitions[node.$ref.slice(14)], value, definitions);
  if (node.writeOnly) return typeof value === 'string' ? [value] : [];
  const out = (node.anyOf ?? []).flatMap((n) => writeOnlyStrings(n, value, definitions));
  if (Array.isArray(value) && node.items) out.push(...value.flatMap((v) => writeOnlyStrings(node.items, v, definitions)));
  if (value && typeof value === 'object' && !Array.isArray(value) && node.properties) {
    for (const [k, v] of Object.entries(value)) out.push(...writeOnlyStrings(node.properties[k], v, definitions));
  }
  return out;
}

/**
 * A data file that names its schema the way editors understand
 * (`# yaml-language-server: $schema=vars.schema.json`) is held to it, with the same positioned
 * errors. Returns the schema, so the values that override the file's are held to it too.
 */
export function validateAgainstModeline(data: unknown, src: YamlSource, file: string): SiteSchema | undefined {
  // The comment lines at the top of the file (the YAML parser may attach them to the first key).
  const lines = readFileSync(file, 'utf8').split('\n');
  const end = lines.findIndex((l) => l.trim() !== '' && !l.startsWith('#'));
  const m = /^#\s*yaml-language-server:\s*\$schema=(\S+)/m.exec(lines.slice(0, end < 0 ? undefined : end).join('\n'));
  if (!m) return undefined;
  const { check, site } = compileSite(resolve(dirname(file), m[1]), m[1], file);
  report(check, 'vars', data, src, []);
  return site;
}

const inlineSchemas = new WeakMap<object, ValidateFunction>();

/** Validates data against a schema object that lives in code (an inventory plugin's settings). */
export function validateWithSchema(schema: object, data: unknown, src: YamlSource): void {
  let check = inlineSchemas.get(schema);
  if (!check) {
    const Ajv = (require('ajv') as typeof import('ajv')).default;
    check = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true, verbose: true }).compile(schema);
    inlineSchemas.set(schema, check);
  }
  report(check, 'vars', data, src, []);
}

/**
 * Problems in module arguments met while loading: as in Ansible, they fail their task when it runs
 * (run/args.ts checks the arguments again after templating), so the load goes on; `engine
 * validate` lists them.
 */
const argumentProblems: InputError[] = [];

/** The module-argument problems met since the last call, each with its position. */
export function takeArgumentProblems(): InputError[] {
  return argumentProblems.splice(0);
}

const inModuleArguments = (error: ErrorObject) => /\/definitions\/module_/.test(error.schemaPath);

function report(check: ValidateFunction, schema: SchemaName | 'vars', data: unknown, src: YamlSource, basePath: (string | number)[]): void {
  if (check(data)) return;
  const all = check.errors ?? [];
  argumentProblems.push(...problemsOf(usefulInEachPlace(all.filter(inModuleArguments)), schema, src, basePath));
  // A task key that is no module of the engine's may be one of Ansible's (the task loader asks it).
  const errors = mostUseful(all.filter((error) => !inModuleArguments(error))).filter((error) => !describe(error, schema).taskLevel);
  if (!errors.length) return;
  const [first, ...rest] = problemsOf(errors, schema, src, basePath);
  if (rest.length) first.message += rest.map((p) => `\n  ${p.describe()}`).join('');
  throw first;
}

function problemsOf(errors: ErrorObject[], schema: SchemaName | 'vars', src: YamlSource, basePath: (string | number)[]): InputError[] {
  if (!errors.length) return [];
  return errors.map((error) => {
    const path = [...basePath, ...pathOf(error.instancePath)];
    const { message, key, taskLevel } = describe(error, schema);
    const pos = key !== undefined ? positionIn(src, [...path, key], true) : positionIn(src, path);
    const names = [...pathOf(error.instancePath).filter((p) => typeof p === 'string'), ...(key ? [key] : [])];
    // A task's own key is named alone (`copyy`); module arguments with their module (`copy.dest`).
    const field = (taskLevel ? names.slice(-1) : names.slice(-2)).join('.');
    return new InputError(message, pos, field || undefined);
  });
}
