// command: run a program without a shell. Honest in check mode: creates/removes and a declared
// read-only `probe` predict whether it would run, instead of reporting "skipped".
import { argvToShell, quotePath } from '../connection/quote';
import type { Module, ModuleContext, Outcome } from './types';
import { run } from './util/remote';
import { shlexSplit } from '../connection/shlex';

export interface CommandArgs {
  cmd?: string;
  argv?: string[];
  chdir?: string;
  creates?: string;
  removes?: string;
  stdin?: string;
  stdin_add_newline?: boolean;
  probe?: string;
  executable?: string;
}

interface Found {
  createsExists?: boolean;
  removesExists?: boolean;
  probeRc?: number;
}

export const commandProperties = {
  cmd: { type: 'string', description: 'The command line (free-form value of the task).' },
  chdir: { type: 'string', description: 'Change into this directory first.' },
  creates: { type: 'string', description: 'A path; when it exists the command is not run.' },
  removes: { type: 'string', description: 'A path; when it does not exist the command is not run.' },
  stdin: { type: 'string', description: 'Text fed to the command on stdin.' },
  stdin_add_newline: { type: 'boolean', description: 'Append a newline to stdin (default true).' },
  probe: {
    type: 'string',
    description:
      'A read-only shell command, run in check mode too. Exit 0 means the desired state is already there, so the command is not run (changed=false).',
  },
};

/** Evaluates creates/removes/probe. Shared with shell. */
export async function probeCommand(args: CommandArgs, ctx: ModuleContext): Promise<Found> {
  const found: Found = {};
  const test = async (path: string) => (await run(ctx, `test -e ${quotePath(path)}`)).rc === 0;
  if (args.creates) found.createsExists = await test(args.creates);
  if (args.removes) found.removesExists = await test(args.removes);
  if (args.probe && !found.createsExists && found.removesExists !== false) {
    found.probeRc = (await ctx.conn.run(args.probe, { become: ctx.become, env: ctx.env, cwd: args.chdir })).rc;
  }
  return found;
}

/** Decides whether to run and returns the apply that runs `line`. Shared with shell. */
export function planCommand(args: CommandArgs, found: Found, ctx: ModuleContext, line: string): Outcome {
  if (found.createsExists) return { changed: false, msg: `skipped, since ${args.creates} exists`, result: { rc: 0, stdout: '', stderr: '' } };
  if (found.removesExists === false) return { changed: false, msg: `skipped, since ${args.removes} does not exist`, result: { rc: 0, stdout: '', stderr: '' } };
  if (found.probeRc === 0) return { changed: false, msg: 'probe reports the desired state is already there', result: { rc: 0, stdout: '', stderr: '' } };
  const why =
    found.probeRc !== undefined
      ? `probe exited ${found.probeRc}`
      : args.creates
        ? `${args.creates} does not exist`
        : args.removes
          ? `${args.removes} exists`
          : 'no creates/removes/probe to predict it';
  return {
    changed: true,
    msg: `would run: ${why}`,
    apply: async () => {
      const stdin = args.stdin === undefined ? undefined : args.stdin + (args.stdin_add_newline === false ? '' : '\n');
      const start = Date.now();
      const res = await ctx.conn.run(line, { become: ctx.become, env: ctx.env, cwd: args.chdir, stdin });
      return {
        cmd: line,
        rc: res.rc,
        stdout: res.stdout.replace(/\n+$/, ''),
        stderr: res.stderr.replace(/\n+$/, ''),
        stdout_lines: res.stdout.replace(/\n+$/, '') === '' ? [] : res.stdout.replace(/\n+$/, '').split('\n'),
        delta: `${((Date.now() - start) / 1000).toFixed(3)}s`,
        failed: res.rc !== 0,
        msg: res.rc !== 0 ? `non-zero return code ${res.rc}` : undefined,
      };
    },
  };
}

export const command: Module<CommandArgs, Found> = {
  name: 'command',
  freeForm: 'cmd',
  schema: {
    type: 'object',
    description: 'Runs a program with arguments, without a shell: $VAR, ;, | and globs are passed literally.',
    properties: {
      ...commandProperties,
      argv: { type: 'array', items: { type: 'string' }, description: 'The command as a list of words (instead of cmd).' },
    },
    additionalProperties: false,
  },
  probe: probeCommand,
  plan(args, found, ctx) {
    if (!args.cmd && !args.argv) return { changed: false, failed: true, msg: 'command needs cmd (free-form) or argv' };
    return planCommand(args, found, ctx, argvToShell(args.argv ?? shlexSplit(args.cmd!)));
  },
};
