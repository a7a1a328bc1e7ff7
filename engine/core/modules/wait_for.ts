// wait_for: wait on the host until a TCP port opens/closes or a path appears/disappears; with
// neither, sleep `timeout` seconds there (Ansible's `wait_for: timeout=N`, a common pause).
// The whole wait is one remote loop, so it costs one round trip, and it is read-only: it waits
// in check mode too, except after a change the dry run did not make: then it looks once and
// predicts the wait (what it waits for is likely what that change makes).
import { quote, quotePath } from '../connection/quote';
import { type Module, Query } from './types';
import { checkName } from './util/names';
import { pythonRegExp } from '../pyregex';

interface WaitArgs {
  host?: string;
  port?: number;
  path?: string;
  state?: 'started' | 'stopped' | 'present' | 'absent' | 'drained';
  timeout?: number;
  delay?: number;
  sleep?: number;
  search_regex?: string;
  msg?: string;
}

function condition(args: WaitArgs): string {
  if (args.port === undefined && args.path === undefined) return 'false';
  if (args.port !== undefined && args.state === 'drained') {
    // No connection on the port in an active state (ESTABLISHED .. TIME_WAIT: 01-06), read where
    // the kernel lists them: Ansible's drained, without psutil.
    const port = Number(args.port).toString(16).toUpperCase().padStart(4, '0');
    return `awk -v p=${port} 'FNR > 1 { split($2, a, ":"); if (a[2] == p && $4 ~ /^0[1-6]$/) busy = 1 } END { exit busy }' /proc/net/tcp /proc/net/tcp6 2>/dev/null`;
  }
  if (args.port !== undefined) {
    // Host and port are bash's positional parameters, never part of the script bash parses.
    const host = checkName(args.host ?? '127.0.0.1', 'host');
    const open = `timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' wait_for ${quote(host)} ${quote(String(Number(args.port)))} 2>/dev/null`;
    return args.state === 'stopped' ? `! ${open}` : open;
  }
  const p = quotePath(args.path!);
  if (args.state === 'absent') return `[ ! -e ${p} ]`;
  // Python's re is closest to PCRE: named groups (?P<name>...), \w, \d.
  if (args.search_regex) return `grep -Pq -- ${quote(args.search_regex)} ${p} 2>/dev/null`;
  return `[ -e ${p} ]`;
}

interface Waited {
  rc: number;
  elapsed: number;
  /** With search_regex: the line that matched. */
  matched?: string;
}

/** Ansible's match_groups and match_groupdict of the line search_regex found. */
function matchGroups(regex: string, line: string | undefined): Record<string, unknown> {
  const m = line === undefined ? null : pythonRegExp(regex).exec(line);
  if (!m) return {};
  return { match_groups: m.slice(1).map((g) => g ?? null), match_groupdict: { ...(m.groups ?? {}) } };
}

/** Arguments Ansible's wait_for refuses together, in its words. */
function refusal(args: WaitArgs): string | undefined {
  if (args.port !== undefined && args.path !== undefined) return 'port and path parameter can not both be passed to wait_for';
  if (args.path !== undefined && (args.state === 'stopped' || args.state === 'drained'))
    return `state=${args.state} should only be used for checking a port in the wait_for module`;
  return undefined;
}

/** Ansible's words for a wait that timed out. */
function timeoutMessage(args: WaitArgs): string {
  const hostPort = `${args.host ?? '127.0.0.1'}:${args.port}`;
  const stopping = args.state === 'stopped' || args.state === 'absent';
  if (args.port !== undefined) {
    if (args.state === 'drained') return `Timeout when waiting for ${hostPort} to drain`;
    if (stopping) return `Timeout when waiting for ${hostPort} to stop.`;
    return args.search_regex ? `Timeout when waiting for search string ${args.search_regex} in ${hostPort}` : `Timeout when waiting for ${hostPort}`;
  }
  if (stopping) return `Timeout when waiting for ${args.path} to be absent.`;
  return args.search_regex ? `Timeout when waiting for search string ${args.search_regex} in ${args.path}` : `Timeout when waiting for file ${args.path}`;
}

/** The wait's output: the matched line (with search_regex), then its length in ms. */
function parseWaited(rc: number, stdout: string): Waited {
  const lines = stdout.replace(/\n$/, '').split('\n');
  const elapsed = Number(lines.pop()) / 1000;
  return lines.length ? { rc, elapsed, matched: lines.join('\n') } : { rc, elapsed };
}

export const wait_for: Module<WaitArgs, Waited> = {
  name: 'wait_for',
  freeForm: 'kv',
  schema: {
    type: 'object',
    description:
      'Waits, on the host, for a TCP port to open (or close) or a path to exist (or vanish, or contain a regex); with neither, sleeps timeout seconds.',
    properties: {
      host: { type: 'string', description: 'Address to probe for port (default 127.0.0.1).' },
      port: { type: 'integer', description: 'TCP port.' },
      path: { type: 'string', description: 'File to wait for.' },
      state: {
        enum: ['started', 'stopped', 'present', 'absent', 'drained'],
        description: 'started/present (default), stopped/absent, or drained (with port: no active connection on it).',
      },
      timeout: { type: 'integer', description: 'Seconds before failing (default 300).' },
      delay: { type: 'integer', description: 'Seconds to wait before the first check.' },
      sleep: { type: 'number', description: 'Seconds between checks (default 1).' },
      search_regex: { type: 'string', description: 'With path: wait until the file matches this regex.' },
      msg: { type: 'string', description: 'Message on timeout.' },
    },
    additionalProperties: false,
  },
  probe(args, ctx) {
    if (refusal(args)) return Promise.resolve({ rc: 3, elapsed: 0 });
    const timeout = ctx.predict ? 0 : (args.timeout ?? 300);
    const sleepOnly = args.port === undefined && args.path === undefined;
    // The wait is timed on the host, where it happens; the last line is its length in ms.
    const script = [
      's=$(date +%s%N)',
      `sleep ${Number(args.delay ?? 0)}`,
      `end=$(( $(date +%s) + ${Number(timeout)} ))`,
      sleepOnly
        ? `sleep ${Number(timeout)}; rc=0`
        : `rc=0; until ${condition(args)}; do [ "$(date +%s)" -ge "$end" ] && { rc=1; break; }; sleep ${Number(args.sleep ?? 1)}; done`,
      ...(args.search_regex !== undefined && args.path !== undefined
        ? [`[ $rc = 0 ] && grep -Pm1 -- ${quote(args.search_regex)} ${quotePath(args.path)} 2>/dev/null | head -c 65536`]
        : []),
      'echo $(( ($(date +%s%N) - s) / 1000000 ))',
      'exit $rc',
    ].join('\n');
    return new Query(script, (res) => parseWaited(res.rc, res.stdout), {
      anyStatus: true,
      live: true,
    });
  },
  plan(args, found, ctx) {
    const refused = refusal(args);
    if (refused) return { changed: false, failed: true, result: { elapsed: 0 }, msg: refused };
    if (args.port === undefined && args.path === undefined)
      return { changed: false, result: { elapsed: Math.floor(found.elapsed), state: args.state ?? 'started' }, msg: `slept ${found.elapsed.toFixed(1)}s` };
    const what = args.port !== undefined ? `port ${args.host ?? '127.0.0.1'}:${args.port}` : `path ${args.path}`;
    // Ansible's fields; elapsed in whole seconds, as its timedelta.seconds.
    const result = {
      elapsed: Math.floor(found.elapsed),
      state: args.state ?? 'started',
      ...(args.port !== undefined ? { port: args.port } : { path: args.path }),
      ...(args.search_regex !== undefined ? { search_regex: args.search_regex, ...matchGroups(args.search_regex, found.matched) } : {}),
    };
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
        msg: args.msg ?? timeoutMessage(args),
      };
    return { changed: false, result, msg: `${what} ${args.state ?? 'started'} after ${found.elapsed.toFixed(1)}s` };
  },
};
