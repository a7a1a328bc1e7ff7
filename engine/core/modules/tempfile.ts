// tempfile: a new temporary file or directory on the host (mktemp: private mode, unique name),
// its path in the result, as Ansible's tempfile. Every run makes a new one; no check mode.
import { quote, quotePath } from '../connection/quote';
import type { Module } from './types';

interface TempfileArgs {
  state?: 'file' | 'directory';
  path?: string;
  prefix?: string;
  suffix?: string;
}

/** The mktemp line: Python's mkstemp names (prefix, 8 random characters, suffix) in path or $TMPDIR. */
export function mktempLine(args: TempfileArgs): string {
  const dir = args.path === undefined ? '"${TMPDIR:-/tmp}"' : quotePath(args.path);
  const suffix = args.suffix ? ` --suffix=${quote(args.suffix)}` : '';
  return `mktemp${args.state === 'directory' ? ' -d' : ''} --tmpdir=${dir}${suffix} ${quote(`${args.prefix ?? 'ansible.'}XXXXXXXX`)}`;
}

/** The path and, as Ansible adds to a module's path, its owner, mode, type and size. */
function madeResult(stdout: string, state: string): Record<string, unknown> {
  const [path, attrs = ''] = stdout.split('\n');
  const [uid, gid, owner, group, mode, size] = attrs.split(' ');
  return { path, uid: Number(uid), gid: Number(gid), owner, group, mode: mode?.padStart(4, '0'), state, size: Number(size) };
}

export const tempfile: Module<TempfileArgs> = {
  name: 'tempfile',
  freeForm: 'kv',
  schema: {
    type: 'object',
    description: 'Creates a temporary file (mode 0600) or directory (0700) with a unique name; `path` in the result names it.',
    properties: {
      state: { enum: ['file', 'directory'], description: 'What to create (default file).' },
      path: { type: 'string', description: 'The directory to create it in (default $TMPDIR, else /tmp).' },
      prefix: { type: 'string', description: "The name's start (default 'ansible.')." },
      suffix: { type: 'string', description: "The name's end (default '')." },
    },
    additionalProperties: false,
  },
  plan(args, _found, ctx) {
    // Its result is a name known only once made: a dry run cannot predict it.
    if (ctx.check) return { changed: false, msg: 'remote module (tempfile) does not support check mode', result: { skipped: true } };
    const state = args.state ?? 'file';
    return {
      changed: true,
      msg: `creates a temporary ${state}`,
      steps: [
        {
          kind: 'run',
          script: `p=$(${mktempLine(args)}) || exit 1\necho "$p"; stat -c '%u %g %U %G %a %s' "$p"`,
          what: `mktemp (${state})`,
          result: (res) => (res.rc === 0 ? madeResult(res.stdout, state) : { failed: true, rc: res.rc, msg: res.stderr.trim() || 'mktemp failed' }),
        },
      ],
    };
  },
};
