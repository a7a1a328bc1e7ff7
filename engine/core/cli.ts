// Command line: parse flags, find the command (the core's or a registered one), hand over.
import { parseArgs } from 'node:util';
import { type CommandSpec, Flags, type OptionSpec } from './command';
import { EXIT, InputError } from './errors';

const RUN_OPTIONS_HELP = `Options for run and validate:
  -i, --inventory FILE       Inventory (Ansible YAML format); group_vars/ and host_vars/ beside it
  -C, --check                Dry run: probe and plan every task, change nothing
  -D, --diff                 Show what changes (unified diffs for files, before/after otherwise)
  -l, --limit PATTERN        Only these hosts (group, host, a:b, a:!b, a:&b)
  -t, --tags a,b             Only tasks with these tags
      --skip-tags c          Skip tasks with these tags
      --role NAME            Run only this role's tasks (per-role re-runs, e.g. upgrades)
      --start-at-task NAME   Start at the first task of this name (or 'role : name', or a glob)
  -e, --extra-vars K=V|@FILE Extra variables (highest precedence); repeatable
  -f, --forks N              Hosts in parallel (default: all hosts of the batch)
      --vault-password-file F  Decrypt ansible-vault (1.1) files and !vault values
  -K, --ask-become-pass      Ask for the become (sudo/su) password once
      --accept-new-host-keys Record unknown ssh host keys in known_hosts (changed keys are always refused)
      --yes                  Confirm what the roles otherwise refuse (removing an online node from the cluster)
      --json                 One JSON event per line instead of the live view
      --list-hosts           List each play's hosts (with --limit); run nothing
      --list-tasks           List each play's tasks (with --tags, --skip-tags, --role); run nothing
      --syntax-check         Load and check the playbook; run nothing
  -v, --verbose              Show task results (repeat for more)
  -h, --help                 This help

Exit codes: 0 ok, 1 internal error, 2 a host failed, 4 a host was unreachable, 5 bad input, 130 interrupted.`;

const OPTIONS: Record<string, OptionSpec> = {
  inventory: { type: 'string', short: 'i' },
  check: { type: 'boolean', short: 'C' },
  diff: { type: 'boolean', short: 'D' },
  limit: { type: 'string', short: 'l' },
  tags: { type: 'string', short: 't', multiple: true },
  'skip-tags': { type: 'string', multiple: true },
  role: { type: 'string' },
  'start-at-task': { type: 'string' },
  'extra-vars': { type: 'string', short: 'e', multiple: true },
  forks: { type: 'string', short: 'f' },
  'vault-password-file': { type: 'string' },
  'ask-become-pass': { type: 'boolean', short: 'K' },
  'accept-new-host-keys': { type: 'boolean' },
  json: { type: 'boolean' },
  'list-hosts': { type: 'boolean' },
  'list-tasks': { type: 'boolean' },
  'syntax-check': { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v', multiple: true },
  write: { type: 'boolean' },
  yes: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const CORE_COMMANDS: CommandSpec[] = [
  {
    name: 'run',
    help: 'run PLAYBOOK        Run a playbook against an inventory',
    run: async (args, flags) => (await import('./commands')).runCommand(args, flags),
  },
  {
    name: 'validate',
    help: 'validate PLAYBOOK   Load and check a playbook, its roles and inventory; change nothing',
    run: async (args, flags) => (await import('./commands')).validateCommand(args, flags),
  },
  {
    name: 'schema',
    help: 'schema --write      Regenerate the JSON Schemas in engine/schema/ from the modules',
    run: async (_args, flags) => (await import('./commands')).schemaCommand(flags),
  },
];

const commands: CommandSpec[] = [...CORE_COMMANDS];

/** Adds commands to the command line (see core/extension.ts). */
export function registerCommands(specs: CommandSpec[]): void {
  for (const spec of specs) {
    if (commands.some((c) => c.name === spec.name)) throw new Error(`command '${spec.name}' registered twice`);
    commands.push(spec);
  }
}

function help(): string {
  const lines = commands.flatMap((c) => c.help.split('\n').map((l) => `  ${l}`));
  return `Usage: engine <command> [options]\n\nCommands:\n${lines.join('\n')}\n\n${RUN_OPTIONS_HELP}`;
}

/** The run options and every registered command's own; a name or letter used twice is a bug. */
function allOptions(): Record<string, OptionSpec> {
  const all = { ...OPTIONS };
  for (const c of commands) {
    for (const [name, spec] of Object.entries(c.options ?? {})) {
      const clash = Object.entries(all).find(
        ([n, s]) => (n === name && JSON.stringify(s) !== JSON.stringify(spec)) || (n !== name && spec.short && s.short === spec.short),
      );
      if (clash) throw new Error(`option --${name} of '${c.name}' clashes with --${clash[0]}`);
      all[name] = spec;
    }
  }
  return all;
}

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options: allOptions(), allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message.split('\n')[0]}\nRun 'engine --help' for usage.\n`);
    return EXIT.badInput;
  }
  const { values, positionals } = parsed;
  const [name, ...rest] = positionals;
  if (values.help || !name) {
    process.stdout.write(`${help()}\n`);
    return name || values.help ? EXIT.ok : EXIT.badInput;
  }
  try {
    const command = commands.find((c) => c.name === name);
    if (!command) throw new InputError(`unknown command '${name}' (${commands.map((c) => c.name).join(', ')})`);
    return await command.run(rest, new Flags(values));
  } catch (err) {
    if (err instanceof InputError) {
      process.stderr.write(`error: ${err.describe()}\n`);
      return EXIT.badInput;
    }
    throw err;
  }
}
