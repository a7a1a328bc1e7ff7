// include_vars: load variables from a YAML file on the controller (vault-encrypted files too), or
// from every matching file of a directory, as Ansible's: sorted, depth-first, later files winning.
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { globRegExp } from '../glob';
import { type Module, ModuleError, type Outcome, type PlanContext } from './types';

interface IncludeVarsArgs {
  file?: string;
  dir?: string;
  name?: string;
  depth?: number;
  files_matching?: string;
  ignore_files?: string | string[];
  extensions?: string[];
  ignore_unknown_extensions?: boolean;
  hash_behaviour?: 'replace' | 'merge';
}

const DEFAULT_EXTENSIONS = ['yaml', 'yml', 'json'];

/** The files of dir in Ansible's order (names sorted, a directory's files where it sorts), to `depth`. */
function filesIn(dir: string, args: IncludeVarsArgs, level = 1): string[] {
  const ignore = [args.ignore_files ?? []].flat().map((g) => globRegExp(String(g)));
  const matching = args.files_matching === undefined ? undefined : new RegExp(args.files_matching);
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (!args.depth || level < args.depth) out.push(...filesIn(path, args, level + 1));
      continue;
    }
    if (ignore.some((g) => g.test(name)) || (matching && !matching.test(name))) continue;
    out.push(path);
  }
  return out;
}

/** Later files win; with hash_behaviour=merge, dicts merge recursively, as Ansible's combine. */
function merge(into: Record<string, unknown>, add: Record<string, unknown>, deep: boolean): Record<string, unknown> {
  const out = { ...into };
  for (const [k, v] of Object.entries(add)) {
    const old = out[k];
    const bothDicts = [old, v].every((x) => x !== null && typeof x === 'object' && !Array.isArray(x));
    out[k] = deep && bothDicts ? merge(old as Record<string, unknown>, v as Record<string, unknown>, true) : v;
  }
  return out;
}

/** The values the task sees now of those of these names it has. */
function currentValues(names: string[], ctx: PlanContext): Record<string, unknown> {
  return Object.fromEntries(names.filter((n) => n in ctx.vars && /^[A-Za-z_]\w*$/.test(n)).map((n) => [n, ctx.expression(n)]));
}

/** Ansible's include_vars says why in `message` too. */
const failure = (msg: string): Outcome => ({ changed: false, failed: true, msg, result: { message: msg } });

export const include_vars: Module<IncludeVarsArgs> = {
  name: 'include_vars',
  controllerOnly: true,
  freeForm: 'kv',
  bareWordArg: 'file',
  schema: {
    type: 'object',
    description: 'Loads variables from a YAML file (vars/ of the role, or relative to the playbook), or from the files of a directory, as host facts.',
    properties: {
      file: { type: 'string', description: 'The YAML file.' },
      dir: { type: 'string', description: 'A directory: every vars file in it, sorted by name, subdirectories included.' },
      name: { type: 'string', description: 'Put the variables under this one name instead.' },
      depth: { type: 'integer', description: 'With dir: how many levels down (0: all).' },
      files_matching: { type: 'string', description: 'With dir: only files whose names match this regular expression.' },
      ignore_files: { type: ['string', 'array'], items: { type: 'string' }, description: 'With dir: names (globs) to leave out.' },
      extensions: { type: 'array', items: { type: 'string' }, description: 'With dir: the extensions read (default yaml, yml, json).' },
      ignore_unknown_extensions: { type: 'boolean', description: 'With dir: skip files of other extensions instead of failing.' },
      hash_behaviour: { enum: ['replace', 'merge'], description: 'A later file replaces (default) or merges into dicts of the same name.' },
    },
    additionalProperties: false,
  },
  plan(args, _found, ctx): Outcome {
    const given = (v: string | undefined) => v !== undefined && v !== null && v !== '';
    if (given(args.file) && given(args.dir)) return failure('You are mixing file only and dir only arguments, these are incompatible');
    // Ansible's words for a file it cannot find (also for none given: a lookup with errors='ignore' gives None).
    if (!given(args.file) && !given(args.dir)) return failure('Could not find file on the Ansible Controller (include_vars was given no file or dir)');
    const find = (name: string) => {
      try {
        return ctx.findLocal('vars', name);
      } catch (err) {
        const why = `Could not find or access '${name}' on the Ansible Controller: ${(err as Error).message}`;
        throw new ModuleError(why, { message: why });
      }
    };
    let files: string[];
    if (given(args.file)) files = [find(args.file!)];
    else {
      const dir = find(args.dir!);
      const extensions = args.extensions ?? DEFAULT_EXTENSIONS;
      files = filesIn(dir, args);
      const unknown = files.filter((f) => !extensions.includes(extname(f).slice(1)));
      if (unknown.length && !args.ignore_unknown_extensions) return failure(`${unknown[0]} does not have a valid extension: ${extensions.join(', ')}`);
      files = files.filter((f) => extensions.includes(extname(f).slice(1)));
    }
    let vars: Record<string, unknown> = {};
    for (const path of files) {
      const data = ctx.readYaml(path) ?? {};
      if (typeof data !== 'object' || Array.isArray(data)) return failure(`${path} must hold a mapping of variables`);
      vars = merge(vars, data as Record<string, unknown>, args.hash_behaviour === 'merge');
    }
    let facts = args.name ? { [args.name]: vars } : vars;
    // As Ansible's: merge also merges into the values the variables have now.
    if (args.hash_behaviour === 'merge') facts = merge(currentValues(Object.keys(facts), ctx), facts, true);
    return {
      changed: false,
      msg: `loaded ${Object.keys(facts).join(', ')} from ${files.join(', ')}`,
      facts,
      result: { ansible_facts: facts, ansible_included_var_files: files },
    };
  },
};
