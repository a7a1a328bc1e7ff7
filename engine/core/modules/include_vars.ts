// include_vars: load variables from a YAML file on the controller (vault-encrypted files too).
import type { Module } from './types';

export const include_vars: Module<{ file: string; name?: string }> = {
  name: 'include_vars',
  controllerOnly: true,
  freeForm: 'kv',
  bareWordArg: 'file',
  schema: {
    type: 'object',
    description: 'Loads variables from a YAML file (vars/ of the role, or relative to the playbook) as host facts.',
    properties: {
      file: { type: 'string', description: 'The YAML file.' },
      name: { type: 'string', description: 'Put the variables under this one name instead.' },
    },
    required: ['file'],
    additionalProperties: false,
  },
  plan(args, _found, ctx) {
    const path = ctx.findLocal('vars', args.file);
    const data = ctx.readYaml(path) ?? {};
    if (typeof data !== 'object' || Array.isArray(data)) return { changed: false, failed: true, msg: `${path} must hold a mapping of variables` };
    const facts = args.name ? { [args.name]: data } : (data as Record<string, unknown>);
    return { changed: false, msg: `loaded ${Object.keys(facts).join(', ')} from ${path}`, facts, result: { ansible_facts: facts } };
  },
};
