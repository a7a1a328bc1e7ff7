// After templating, module arguments are coerced (Ansible's yes/no booleans, numeric strings)
// and checked against the module's own, strict schema.
import type { ValidateFunction } from 'ajv';
import { toBool } from '../load/filters';
import type { Module } from '../modules/types';

const validators = new Map<string, ValidateFunction>();

const BOOLEAN_WORDS = /^(yes|no|y|n|true|false|t|f|on|off|1|0)$/i;

function validatorFor(module: Module): ValidateFunction {
  let v = validators.get(module.name);
  if (!v) {
    const Ajv = (require('ajv') as typeof import('ajv')).default;
    v = new Ajv({ allErrors: false, strict: false, allowUnionTypes: true, coerceTypes: true }).compile(module.schema);
    validators.set(module.name, v);
  }
  return v;
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
