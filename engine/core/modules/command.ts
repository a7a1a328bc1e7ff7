// command: run a program without a shell. Honest in check mode: creates/removes and a declared
// read-only probe (the task variable `engine_probe`) predict whether it would run, instead of
// reporting "skipped".
import { argvToShell, quote, quoteGlob, quotePath } from '../connection/quote';
import type { ExecResult } from '../connection/types';
import { type Module, type Outcome, Query } from './types';
import { shlexSplit } from '../connection/shlex';

export interface CommandArgs {
  cmd?: string;
  argv?: string[];
  chdir?: string;
  creates?: string;
  removes?: string;
  stdin?: string;
  stdin_add_newline?: boolean;
  strip_empty_ends?: boolean;
  /**
   * From the task's variable `engine_probe` (not an argument: ansible-playbook refuses arguments
   * a module does not know): a read-only shell command, run in check mode too; exit 0 means the
   * desired state is already there, so the command is not run (changed=false).
   */
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
  creates: { type: 'string', description: 'A path or glob; when something matches, the command is not run.' },
  removes: { type: 'string', description: 'A path or glob; when nothing matches, the command is not run.' },
  stdin: { type: 'string', description: 'Text fed to the command on stdin.' },
  stdin_add_newline: { type: 'boolean', description: 'Append a newline to stdin (default true).' },
  strip_empty_ends: { type: 'boolean', description: 'Cut the line ends at the end of stdout and stderr (default true).' },
};

/** The task variable command and shell read as their probe (Module.taskVars). */
export const PROBE_VAR = { engine_probe: 'probe' };

/** Parses the `test -e` lines of the creates/removes look: C0/C1, R0/R1. */
function parsePaths(stdout: string): Found {
  const found: Found = {};
  for (const line of stdout.split('\n')) {
    if (line[0] === 'C') found.createsExists = line[1] === '1';
    if (line[0] === 'R') found.removesExists = line[1] === '1';
  }
  return found;
}

/** The declared probe runs where the command would (chdir), only when creates/removes let it. */
function probeQuery(args: CommandArgs, paths: Found): Found | Query<Found> {
  if (!args.probe || paths.createsExists || paths.removesExists === false) return paths;
  return new Query(args.probe, (res) => ({ ...paths, probeRc: res.rc }), { cwd: args.chdir, anyStatus: true });
}

/** Prints `<letter>1` when something matches the glob (Python's glob.glob, broken links included), else `<letter>0`. */
const globTest = (pattern: string, letter: string) =>
  `set -- ${quoteGlob(pattern)}; if [ -e "$1" ] || [ -L "$1" ]; then echo ${letter}1; else echo ${letter}0; fi`;

/** Evaluates creates/removes (globs, relative to chdir as Ansible's), then the declared probe. Shared with shell. */
export function probeCommand(args: CommandArgs): Query<Found> | Promise<Found> {
  const tests = [args.creates && globTest(args.creates, 'C'), args.removes && globTest(args.removes, 'R')].filter(Boolean);
  if (tests.length) {
    // A chdir that is not there leaves the paths as they are: the step reports it, as Ansible does.
    const enter = args.chdir === undefined ? [] : [`cd -- ${quotePath(args.chdir)} 2>/dev/null || true`];
    return new Query([...enter, ...tests].join('\n'), (res) => probeQuery(args, parsePaths(res.stdout)));
  }
  const next = probeQuery(args, {});
  return next instanceof Query ? next : Promise.resolve(next);
}

/**
 * What a command's script prints on stderr when its program is not found: Ansible's command runs
 * the program itself (no shell), and reports that as Python's ENOENT with rc 2 and no output.
 */
const NOT_FOUND = '__engine_command_not_found__';

/** What the step prints when its chdir is not there, told apart from the command's own failure. */
const NO_CHDIR = '__engine_chdir_failed__';

/** A command's output as its *_lines: Python's splitlines(), no empty last line for a final line end. */
export function outputLines(text: string): string[] {
  return text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n|\r/);
}

/** The command's outcome as Ansible registers it. */
function commandResult(line: string, res: ExecResult & { seconds: number }, program: string | undefined, args: CommandArgs): Record<string, unknown> {
  const { chdir } = args;
  if (chdir !== undefined && res.stderr.trim() === NO_CHDIR)
    return {
      cmd: line,
      rc: 1,
      stdout: '',
      stderr: '',
      failed: true,
      msg: `Unable to change directory before execution: [Errno 2] No such file or directory: b'${chdir}'`,
    };
  if (program !== undefined && res.rc === 127 && res.stderr.trim() === NOT_FOUND)
    return {
      cmd: line,
      rc: 2,
      stdout: '',
      stderr: '',
      stdout_lines: [],
      stderr_lines: [],
      failed: true,
      msg: `[Errno 2] No such file or directory: b'${program}'`,
    };
  // As Ansible's: trailing line ends cut unless strip_empty_ends is false; *_lines as splitlines().
  const cut = (text: string) => (args.strip_empty_ends === false ? text : text.replace(/[\r\n]+$/, ''));
  const stdout = cut(res.stdout);
  const stderr = cut(res.stderr);
  return {
    cmd: line,
    rc: res.rc,
    stdout,
    stderr,
    stderr_lines: outputLines(stderr),
    stdout_lines: outputLines(stdout),
    delta: `${res.seconds.toFixed(3)}s`,
    failed: res.rc !== 0,
    msg: res.rc !== 0 ? `non-zero return code ${res.rc}` : '',
  };
}

/**
 * Decides whether to run, with the step that runs `line`. Shared with shell. `program`: the
 * program command runs itself (not through a shell), checked first so that a missing one is
 * told apart from a program that exits 127; `shown`: the cmd its result reports.
 */
export function planCommand(args: CommandArgs, found: Found, line: string, how: { program?: string; warnings?: string[]; shown?: unknown } = {}): Outcome {
  const { program, warnings = [], shown = line } = how;
  // Ansible's words: the reason in msg, the old "skipped, since" in stdout.
  if (found.createsExists) {
    return {
      changed: false,
      msg: `Did not run command since '${args.creates}' exists`,
      result: { rc: 0, stdout: `skipped, since ${args.creates} exists`, stderr: '' },
    };
  }
  if (found.removesExists === false) {
    const stdout = `skipped, since ${args.removes} does not exist`;
    return { changed: false, msg: `Did not run command since '${args.removes}' does not exist`, result: { rc: 0, stdout, stderr: '' } };
  }
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
    steps: [
      {
        kind: 'run',
        // The directory is entered here rather than by the connection, so that a missing one is
        // Ansible's "Unable to change directory" and not a failure of the command.
        // -P: the physical directory, as Python's os.chdir enters it ($PWD has no symlink in it).
        script: [
          args.chdir === undefined ? '' : `cd -P -- ${quotePath(args.chdir)} 2>/dev/null || { echo ${NO_CHDIR} >&2; exit 1; }`,
          program === undefined ? '' : `command -v ${quote(program)} >/dev/null || { echo ${NOT_FOUND} >&2; exit 127; }`,
          line,
        ]
          .filter(Boolean)
          .join('\n'),
        what: line,
        stdin: args.stdin === undefined ? undefined : args.stdin + (args.stdin_add_newline === false ? '' : '\n'),
        result: (res) => ({ ...commandResult(line, res, program, args), cmd: shown, ...(warnings.length ? { warnings } : {}) }),
      },
    ],
  };
}

export const command: Module<CommandArgs, Found> = {
  name: 'command',
  freeForm: 'cmd',
  taskVars: PROBE_VAR,
  schema: {
    type: 'object',
    description: 'Runs a program with arguments, without a shell: $VAR, ;, | and globs are passed literally.',
    properties: {
      ...commandProperties,
      argv: { type: 'array', items: { type: 'string' }, description: 'The command as a list of words (instead of cmd).' },
      executable: { type: 'string', description: 'Not used: command runs no shell (as in Ansible, a warning says so; use shell).' },
    },
    additionalProperties: false,
  },
  probe: probeCommand,
  plan(args, found) {
    if (args.cmd && args.argv) return { changed: false, failed: true, msg: 'only command or argv can be given, not both', result: { rc: 256 } };
    const argv = args.argv ?? (args.cmd ? shlexSplit(args.cmd) : []);
    if (!argv.length || !argv[0]) return { changed: false, failed: true, msg: 'no command given', result: { rc: 256 } };
    // As Ansible's: command runs no shell, so an executable is not used, only warned of.
    const warnings = args.executable
      ? [`As of Ansible 2.4, the parameter 'executable' is no longer supported with the 'command' module. Not using '${args.executable}'.`]
      : [];
    // Ansible's command reports the words it ran, shell the line as written.
    return planCommand(args, found, argvToShell(argv), { program: argv[0], warnings, shown: argv });
  },
};
