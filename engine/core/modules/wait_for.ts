// wait_for: wait on the host until a TCP port opens/closes or a path appears/disappears.
// The whole wait is one remote loop, so it costs one round trip, and it is read-only: it waits
// in check mode too, except after a change the dry run did not make: then it looks once and
// predicts the wait (what it waits for is likely what that change makes).
import { quote, quotePath } from '../connection/quote';
import { type Module, Query } from './types';
import { checkName } from './util/names';

interface WaitArgs {
  host?: string;
  port?: number;
  path?: string;
  state?: 'started' | 'stopped' | 'present' | 'absent';
  timeout?: number;
  delay?: number;
  sleep?: number;
  search_regex?: string;
  msg?: string;
}

function condition(args: WaitArgs): string {
  if (args.port !== undefined) {
    // Host and port are bash's positional parameters, never part of the script bash parses.
    const host = checkName(args.host ?? '127.0.0.1', 'host');
    const open = `timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' wait_for ${quote(host)} ${quote(String(Number(args.port)))} 2>/dev/null`;
    return args.state === 'stopped' ? `! ${open}` : open;
  }
  const p = quotePath(args.path!);
  if (args.state === 'absent') return `[ ! -e ${p} ]`;
  if (args.search_regex) return `grep -Eq ${quote(args.search_regex)} ${p} 2>/dev/null`;
  return `[ -e ${p} ]`;
}

export const wait_for: Module<WaitArgs, { rc: number; elapsed: number }> = {
  name: 'wait_for',
  freeForm: 'kv',
  schema: {
    type: 'object',
    description: 'Waits, on the host, for a TCP port to open (or close) or a path to exist (or vanish, or contain a regex).',
    properties: {
      host: { type: 'string', description: 'Address to probe for port (default 127.0.0.1).' },
      port: { type: 'integer', description: 'TCP port.' },
      path: { type: 'string', description: 'File to wait for.' },
      state: { enum: ['started', 'stopped', 'present', 'absent'], description: 'started/present (default) or stopped/absent.' },
      timeout: { type: 'integer', description: 'Seconds before failing (default 300).' },
      delay: { type: 'integer', description: 'Seconds to wait before the first check.' },
      sleep: { type: 'number', description: 'Seconds between checks (default 1).' },
      search_regex: { type: 'string', description: 'With path: wait until the file matches this regex.' },
      msg: { type: 'string', description: 'Message on timeout.' },
    },
    additionalProperties: false,
  },
  probe(args, ctx) {
    if (args.port === undefined && args.path === undefined) return Promise.resolve({ rc: 3, elapsed: 0 });
    const timeout = ctx.predict ? 0 : (args.timeout ?? 300);
    // The wait is timed on the host, where it happens; the last line is its length in ms.
    const script = [
      's=$(date +%s%N)',
      `sleep ${Number(args.delay ?? 0)}`,
      `end=$(( $(date +%s) + ${Number(timeout)} ))`,
      `rc=0; until ${condition(args)}; do [ "$(date +%s)" -ge "$end" ] && { rc=1; break; }; sleep ${Number(args.sleep ?? 1)}; done`,
      'echo $(( ($(date +%s%N) - s) / 1000000 ))',
      'exit $rc',
    ].join('\n');
    return new Query(script, (res) => ({ rc: res.rc, elapsed: Number(res.stdout.trim().split('\n').pop()) / 1000 }), {
      anyStatus: true,
      live: true,
    });
  },
  plan(args, found, ctx) {
    if (found.rc === 3) return { changed: false, failed: true, msg: 'wait_for needs port or path' };
    const what = args.port !== undefined ? `port ${args.host ?? '127.0.0.1'}:${args.port}` : `path ${args.path}`;
    const result = { elapsed: found.elapsed };
    if (found.rc !== 0 && ctx.predict)
      return {
        changed: false,
        predicted: true,
        result,
        msg: `predicted, not polled: the real run waits up to ${args.timeout ?? 300}s for ${what} to be ${args.state ?? 'started'}`,
      };
    if (found.rc !== 0)
      return {
        changed: false,
        failed: true,
        result,
        msg: args.msg ?? `timeout after ${args.timeout ?? 300}s waiting for ${what} to be ${args.state ?? 'started'}`,
      };
    return { changed: false, result, msg: `${what} ${args.state ?? 'started'} after ${found.elapsed.toFixed(1)}s` };
  },
};
