// script: copy a script from the controller (the role's or playbook's files/) to the host and run
// it there with its arguments, as Ansible's script action does; creates/removes decide first.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { quote } from '../connection/quote';
import { shlexSplit } from '../connection/shlex';
import { type CommandArgs, commandProperties, outputLines, probeCommand } from './command';
import type { Module, Outcome } from './types';

interface ScriptArgs extends CommandArgs {
  cmd?: string;
}

/** Ansible's words when creates/removes say there is nothing to do: the task is skipped. */
function skippedBy(args: ScriptArgs, found: { createsExists?: boolean; removesExists?: boolean }): Outcome | undefined {
  const skip = (msg: string): Outcome => ({ changed: false, msg, result: { skipped: true } });
  if (found.createsExists) return skip(`${args.creates} exists, matching creates option`);
  if (found.removesExists === false) return skip(`${args.removes} does not exist, matching removes option`);
  return undefined;
}

/** Where the step puts the script's copy on the host: its name in the private temp dir "$t". */
const copyPath = (source: string) => `"$t"/${quote(basename(source))}`;

/** The shell text that runs the copy: the task's line with the script's name replaced, as Ansible does. */
function scriptLine(line: string, source: string, executable?: string): string {
  const command = line.split(source).join(copyPath(source));
  return executable ? `${quote(executable)} ${command}` : command;
}

export const script: Module<ScriptArgs> = {
  name: 'script',
  freeForm: 'cmd',
  schema: {
    type: 'object',
    description: "Copies a local script (files/) to the host and runs it there with the line's arguments.",
    properties: {
      cmd: { type: 'string', description: 'The script (a local path, looked up in files/) and its arguments.' },
      chdir: { type: 'string', description: 'An absolute directory on the host to run it in.' },
      creates: commandProperties.creates,
      removes: commandProperties.removes,
      executable: { type: 'string', description: 'The program that runs the script (e.g. python3), instead of its #! line.' },
    },
    required: ['cmd'],
    additionalProperties: false,
  },
  probe: probeCommand,
  plan(args, found, ctx) {
    if (args.chdir !== undefined && !args.chdir.startsWith('/')) {
      return { changed: false, failed: true, msg: `chdir ${args.chdir} must be an absolute path for a Unix-aware remote node` };
    }
    const skipped = skippedBy(args, found);
    if (skipped) return skipped;
    const line = (args.cmd ?? '').trim();
    const source = shlexSplit(line)[0] ?? '';
    const content = readFileSync(ctx.findLocal('files', source));
    const copy = copyPath(source);
    if (ctx.check) {
      const predicted = args.creates !== undefined || args.removes !== undefined;
      return predicted
        ? { changed: true, msg: `would run ${source}` }
        : { changed: false, msg: 'Check mode is not supported for this task.', result: { skipped: true } };
    }
    return {
      changed: true,
      msg: `runs ${source}`,
      steps: [
        {
          kind: 'run',
          // The copy lives in a private temporary directory, removed whatever the script did.
          script: [
            't=$(mktemp -d) || exit 1',
            `cat > ${copy} && chmod 700 ${copy} || { rm -rf "$t"; exit 1; }`,
            `(${args.chdir === undefined ? '' : `cd ${quote(args.chdir)} && `}${scriptLine(line, source, args.executable)}) < /dev/null`,
            'rc=$?; rm -rf "$t"; exit $rc',
          ].join('\n'),
          stdin: content,
          what: `script ${source}`,
          // As Ansible's script: the output as the host wrote it (not stripped), split into lines.
          result: (res) => {
            const failed = res.rc !== 0;
            return {
              rc: res.rc,
              stdout: res.stdout,
              stderr: res.stderr,
              stdout_lines: outputLines(res.stdout),
              stderr_lines: outputLines(res.stderr),
              failed,
              msg: failed ? 'non-zero return code' : '',
            };
          },
        },
      ],
    };
  },
};
