// known_hosts: a host's key in a known_hosts file of the host, as Ansible's known_hosts: the
// host's ssh-keygen -F finds its lines (hashed names and [host]:port included); a key of the same
// type is replaced in place of the old line, the same key left alone; absent without a key
// removes every line of the host. The file is written whole, atomically.
import { createHmac, randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { quote } from '../connection/quote';
import { type Module, ModuleError, type Outcome, Query, type Step } from './types';
import { taggedValue } from './util/remote';
import { writeStep } from './util/steps';

interface KnownHostsArgs {
  name: string;
  key?: string;
  path?: string;
  hash_host?: boolean;
  state?: 'present' | 'absent';
}

interface KnownHostsFound {
  /** The file's path with ~ made the login's home. */
  path: string;
  /** The file's text; undefined when there is none. */
  text?: string;
  /** ssh-keygen -F on the key itself: the host named in it (empty: it names another host). */
  keyNamesHost?: boolean;
  /** ssh-keygen -F on the file: its output (the lines of the host, each after a `# Host ... found: line N` comment). */
  search?: { rc: number; stdout: string; stderr: string };
}

interface KeyParts {
  options?: string;
  host: string;
  type: string;
  key: string;
}

/** The host field replaced by HMAC-SHA1 of the host under a random salt, as ssh-keygen -H writes it. */
function hashHost(host: string, key: string): string {
  const salt = randomBytes(20);
  const hashed = createHmac('sha1', salt).update(host).digest();
  const parts = key.trim().split(/\s+/);
  parts[parts[0].startsWith('@') ? 1 : 0] = `|1|${salt.toString('base64')}|${hashed.toString('base64')}`;
  return parts.join(' ');
}

function partsOf(line: string): KeyParts {
  const k = line.trim().split(/\s+/);
  return k[0].startsWith('@') ? { options: k[0], host: k[1], type: k[2], key: k[3] } : { host: k[0], type: k[1], key: k[2] };
}

/** Ansible's search: is the host there, must the key be written (new or another of the same type), and which line goes. */
function searchFor(found: KnownHostsFound, key: string | undefined): { found: boolean; replace: boolean; line?: number } {
  const search = found.search;
  if (found.text === undefined || !search || (search.stdout === '' && search.stderr === '' && search.rc <= 1)) return { found: false, replace: false };
  if (search.rc !== 0) throw new ModuleError(`ssh-keygen failed (rc=${search.rc}, stdout='${search.stdout}',stderr='${search.stderr}')`);
  if (!key) return { found: true, replace: false };
  const wanted = partsOf(key);
  let line: number | undefined;
  for (const l of search.stdout.split('\n')) {
    if (l === '') continue;
    if (l.startsWith('#')) {
      line = Number(/found: line (\d+)/.exec(l)?.[1]);
      continue;
    }
    const have = partsOf(l);
    const host = wanted.host.startsWith('|1|') && have.host.startsWith('|1|') ? have.host : wanted.host;
    const same = { ...wanted, host };
    if (same.host === have.host && same.type === have.type && same.key === have.key && same.options === have.options)
      return { found: true, replace: false, line };
    if (wanted.type === have.type) return { found: true, replace: true, line };
  }
  return { found: true, replace: true };
}

function planKnownHosts(args: KnownHostsArgs, found: KnownHostsFound): Outcome {
  const state = args.state ?? 'present';
  const host = args.name.toLowerCase();
  if (!args.key && state !== 'absent') return { changed: false, failed: true, msg: 'No key specified when adding a host' };
  if (args.key && /\S+(\s+)?,(\s+)?/.test(host))
    return {
      changed: false,
      failed: true,
      msg: 'Comma separated list of names is not supported. Please pass a single name to lookup in the known_hosts file.',
    };
  if (args.key && !found.keyNamesHost) return { changed: false, failed: true, msg: 'Host parameter does not match hashed host field in supplied key' };
  const key = args.key ? `${(args.hash_host ? hashHost(host, args.key) : args.key).replace(/\n$/, '')}\n` : undefined;
  const search = searchFor(found, key);
  const result = { name: host, key: args.key ?? null, path: found.path, hash_host: args.hash_host ?? false, state };
  const before = found.text ?? '';
  const lines = before.split(/(?<=\n)/).filter((l) => l !== '');
  const drop = search.line !== undefined && (search.replace || state === 'absent') ? search.line : undefined;
  const kept = lines.filter((_, i) => i + 1 !== drop);
  const whole = state === 'absent' && !args.key && search.found;
  const writes = whole || search.replace || search.found !== (state === 'present');
  if (state === 'absent' && args.key && drop === undefined) return { changed: false, msg: `no key of ${host} as given in ${found.path}`, result };
  if (!writes) return { changed: false, msg: `${host} already ${state} in ${found.path}`, result };
  const after = whole ? removeHost(lines, found) : [...kept, ...(state === 'present' && key ? [key] : [])].join('');
  const diff = [{ before, after, beforeHeader: found.text === undefined ? '/dev/null' : found.path, afterHeader: found.path }];
  const steps: Step[] = [writeStep(found.path, Buffer.from(after), { makeParents: true })];
  return { changed: true, msg: `${host} ${state === 'present' ? 'added to' : 'removed from'} ${found.path}`, diff, result, steps };
}

/** Every line ssh-keygen -F found for the host goes (ssh-keygen -R's effect, without its .old copy). */
function removeHost(lines: string[], found: KnownHostsFound): string {
  const numbers = new Set([...(found.search?.stdout ?? '').matchAll(/found: line (\d+)/g)].map((m) => Number(m[1])));
  return lines.filter((_, i) => !numbers.has(i + 1)).join('');
}

function probeScript(args: KnownHostsArgs): string {
  const host = quote(args.name.toLowerCase());
  const path = args.path ?? '~/.ssh/known_hosts';
  const where = path === '~' || path.startsWith('~/') ? `"$HOME"${quote(path.slice(1)) || ''}` : quote(path);
  return [
    'k=$(mktemp) || exit 1',
    `trap 'rm -f "$k" "$k.err"' EXIT`,
    'cat > "$k"',
    `printf 'sane '; ssh-keygen -F ${host} -f "$k" 2>/dev/null | base64 -w0; echo`,
    `p=${where}`,
    `printf 'path %s\\n' "$p"`,
    'if [ -f "$p" ]; then',
    `  printf 'content '; base64 -w0 < "$p"; echo`,
    `  out=$(ssh-keygen -F ${host} -f "$p" 2>"$k.err"); rc=$?`,
    `  printf 'search %s ' "$rc"; printf '%s' "$out" | base64 -w0; printf ' '; base64 -w0 < "$k.err"; echo`,
    'fi',
  ].join('\n');
}

function parseProbe(stdout: string): KnownHostsFound {
  const field = (tag: string) => taggedValue(stdout, tag);
  const text = (b64: string | undefined) => Buffer.from(b64 ?? '', 'base64').toString('utf8');
  const path = posix.normalize(field('path') ?? '');
  const content = field('content');
  const [rc, out, err] = (field('search') ?? '').split(' ');
  return {
    path,
    text: content === undefined ? undefined : text(content),
    keyNamesHost: text(field('sane')).trim() !== '',
    search: content === undefined ? undefined : { rc: Number(rc), stdout: text(out), stderr: text(err) },
  };
}

export const known_hosts: Module<KnownHostsArgs, KnownHostsFound> = {
  name: 'known_hosts',
  freeForm: 'kv',
  argAliases: { host: 'name' },
  schema: {
    type: 'object',
    description: "A host's key in a known_hosts file of the host (ssh-keygen -F finds its lines).",
    properties: {
      name: { type: 'string', description: 'The host (or [host]:port) the key is for; lowercased.' },
      key: { type: 'string', description: "The known_hosts line: 'host type key' (the host as in name, or hashed)." },
      path: { type: 'string', description: 'Default ~/.ssh/known_hosts of the user the task runs as.' },
      hash_host: { type: 'boolean', description: 'Write the host hashed (ssh-keygen -H style).' },
      state: { enum: ['present', 'absent'], description: 'absent without key removes every line of the host.' },
    },
    required: ['name'],
    additionalProperties: false,
  },
  probe: (args) => new Query(probeScript(args), (res) => parseProbe(res.stdout), { stdin: args.key ? `${args.key.replace(/\n$/, '')}\n` : '' }),
  plan: planKnownHosts,
};
