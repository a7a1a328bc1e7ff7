// After templating, module arguments are coerced (Ansible's yes/no booleans, numeric strings)
// and checked against the module's own, strict schema.
import type { ValidateFunction } from 'ajv';
import { toBool } from '../load/filters';
import { allModules } from '../modules';
import type { Module } from '../modules/types';
import { compiledValidators } from '../schema/compiled';

const OPTIONS = { allErrors: false, strict: false, allowUnionTypes: true, coerceTypes: true } as const;
let validators: Record<string, ValidateFunction> | undefined;

const BOOLEAN_WORDS = /^(yes|no|y|n|true|false|t|f|on|off|1|0)$/i;

/** Every registered module's argument validator, compiled together once (and cached). */
function validatorFor(module: Module): ValidateFunction {
  const modules = allModules();
  validators ??= compiledValidators(
    OPTIONS,
    modules.map((m) => ({ ...m.schema, $id: `args:${m.name}` })),
    Object.fromEntries(modules.map((m) => [m.name, `args:${m.name}`])),
  );
  // A module registered after the first task (an extension loaded late) compiles on its own.
  validators[module.name] ??= compiledValidators(OPTIONS, [{ ...module.schema, $id: `args:${module.name}` }], { v: `args:${module.name}` }).v;
  return validators[module.name];
}

/** Returns the checked arguments, or a message naming the bad argument. */
export function checkArgs(module: Module, args: Record<string, unknown>): { args: Record<string, unknown>; error?: string } {
  const out = { ...args };
  for (const [name, prop] of Object.entries(module.schema.properties)) {
    const types = [prop.type].flat();
    if (!types.includes('boolean') || typeof out[name] !== 'string' || types.includes('string')) continue;
    // Ansible's boolean words only: anything else ('maybe') is an error, never quietly false.
    if (!BOOLEAN_WORDS.test(String(out[name]).trim()))
      return { args: out, error: `argument '${name}' of ${module.name}: '${out[name]}' is not a boolean (yes/no, true/false, on/off, 1/0)` };
    out[name] = toBool(out[name]);
  }
  const validate = validatorFor(module);
  if (validate(out)) return { args: out };
  const e = validate.errors![0];
  const field = e.instancePath.replace(/^\//, '') || (e.params as { missingProperty?: string }).missingProperty || '';
  return { args: out, error: `argument '${field}' of ${module.name}: ${e.message}` };
}
