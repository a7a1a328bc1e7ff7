// get_url: a file downloaded on the host from a URL, as Ansible's get_url: an existing dest is
// kept when its checksum matches, or when the server answers 304 to If-Modified-Since; otherwise
// the download lands beside dest, is checked (checksum), and replaces dest only if it differs.
import { posix } from 'node:path';
import { quote, quotePath } from '../connection/quote';
import { type Module, ModuleError, type Outcome, Query, type RunStep } from './types';
import { attrChanges, attrProperties, type Attrs, normalizeMode } from './util/attrs';
import { type HttpArgs, type HttpRequest, type HttpResponse, parseResponse, requestBase, requestScript, responseMessage, httpProperties } from './util/http';
import { type RemoteStat, statQuery, taggedValue } from './util/remote';
import { checkName } from './util/names';

interface GetUrlArgs extends Attrs, HttpArgs {
  dest: string;
  force?: boolean;
  checksum?: string;
  backup?: boolean;
  timeout?: number;
}

interface GetUrlFound {
  /** The file the download goes to: dest, or dest/<name from the URL> when dest is a directory. */
  path: string;
  stat: RemoteStat;
  sha1?: string;
  /** The checksum's digest of the file there now, when a checksum was given. */
  digest?: string;
  /** The checksum asked for (read from its URL when given one), or why it cannot be used. */
  sum?: Checksum | string;
}

interface Checksum {
  algorithm: string;
  digest: string;
}

const ALGORITHMS = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'];

/**
 * `algorithm:hexdigest` or `algorithm:URL` of a checksum file, checked as Ansible's; the digest
 * of a URL is read by the probe (checksumFromFile).
 */
function parseChecksum(checksum: string | undefined): Checksum | { algorithm: string; url: string } | string | undefined {
  if (!checksum) return undefined;
  const at = checksum.indexOf(':');
  if (at < 0) return 'The checksum parameter has to be in format <algorithm>:<checksum>';
  const algorithm = checksum.slice(0, at).toLowerCase();
  if (!ALGORITHMS.includes(algorithm)) return `unsupported checksum algorithm '${algorithm}': one of ${ALGORITHMS.join(', ')}`;
  const value = checksum.slice(at + 1);
  if (/^(?:https?|ftp|file):\/\//.test(value)) return { algorithm, url: value };
  return hexDigest(algorithm, value);
}

/** The digest as Ansible keeps it: non-word characters dropped, lowercased, hexadecimal. */
function hexDigest(algorithm: string, value: string): Checksum | string {
  const digest = value.replace(/\W+/g, '').toLowerCase();
  return /^[0-9a-f]+$/.test(digest) ? { algorithm, digest } : 'The checksum format is invalid';
}

/**
 * The digest for the URL's file in a checksum file, as Ansible's get_url reads one: a lone word
 * is the digest; otherwise `digest  name` lines (a `*` or space before the name, `./` dropped).
 */
export function checksumFromFile(text: string, url: string): string | undefined {
  const lines = text.split('\n').filter((line, i, all) => i < all.length - 1 || line !== '');
  const filename = urlFilename(url);
  if (lines.length === 1 && lines[0].trim().split(/\s+/).length === 1) return lines[0];
  for (const line of lines) {
    const space = line.indexOf(' ');
    if (space < 0) continue;
    const name = line.slice(space + 1).replace(/^[ *]/, '');
    if (stripDotSlash(name) === filename) return line.slice(0, space);
  }
  return undefined;
}

/**
 * The name a directory dest gives the file, as Ansible's get_url: Content-Disposition's
 * `attachment; filename=` (its base name), else the last part of the URL answered after redirects.
 */
function responseFilename(response: HttpResponse, url: string): string {
  const disposition = /^attachment; ?filename="?([^"]+)/.exec(response.headers['content-disposition'] ?? '')?.[1];
  const name = disposition === undefined ? '' : posix.basename(disposition);
  return name && name !== '.' && name !== '..' ? name : urlFilename(response.status > 0 ? response.url : url);
}

/** Python's str.strip('./'): both ends. */
const stripDotSlash = (name: string) => name.replace(/^[./]+|[./]+$/g, '');

/** The file name a URL gives, as Ansible's url_filename: its path's last part, else index.html. */
function urlFilename(url: string): string {
  const name = posix.basename(new URL(url).pathname);
  return name || 'index.html';
}

function sumsQuery(path: string, algorithm: string | undefined): Query<{ sha1?: string; digest?: string }> {
  const p = quotePath(path);
  const digest = algorithm ? `; ${algorithm}sum < ${p}` : '';
  return new Query(`sha1sum < ${p}${digest}`, (res) => {
    const [sha1, other] = res.stdout.split('\n').map((line) => line.split(' ')[0]);
    return { sha1, digest: algorithm ? other : undefined };
  });
}

function requestOf(args: GetUrlArgs, ifModifiedSince?: Date): HttpRequest {
  return { ...requestBase(args), method: 'GET', followRedirects: true, timeoutSec: args.timeout ?? 10, ifModifiedSince };
}

/**
 * The download and what follows on the host: checked against the checksum, compared with dest,
 * and moved over it (dest's own mode and owner kept, then the wanted ones set) only if it differs.
 */
function downloadStep(args: GetUrlArgs, found: GetUrlFound, sum: Checksum | undefined): RunStep {
  const dest = quotePath(found.path);
  const tmp = '"$tmp"';
  const since = found.stat.exists && !sum && !args.force && found.stat.mtime ? new Date(found.stat.mtime * 1000) : undefined;
  const request = requestScript(requestOf(args, since), { bodyTo: tmp });
  const mode = normalizeMode(args.mode, found.stat);
  const script = [
    `tmp=$(mktemp ${quotePath(`${posix.dirname(found.path)}/.${posix.basename(found.path)}.engine-XXXXXX`)}) || exit 1`,
    `trap 'rm -f "$tmp"' EXIT`,
    // The request runs in a subshell (its EXIT trap is its own); its output is read twice.
    `out=$( (\n${request.script}\n) ); rc=$?`,
    '[ "$rc" = 0 ] || exit "$rc"',
    `code=$(printf '%s\\n' "$out" | sed -n 's/^meta \\([0-9]*\\).*/\\1/p')`,
  ];
  script.push(
    'printf \'%s\\n\' "$out"',
    '[ "$code" = 200 ] || exit 0',
    'printf \'sha1 %s\\n\' "$(sha1sum < "$tmp" | cut -d" " -f1)"',
    ...(sum ? [`got=$(${sum.algorithm}sum < "$tmp" | cut -d" " -f1); [ "$got" = ${quote(sum.digest)} ] || { printf 'checksum %s\\n' "$got"; exit 0; }`] : []),
    `printf 'md5 %s\\n' "$(md5sum < "$tmp" | cut -d" " -f1)"`,
    `if [ -f ${dest} ] && cmp -s "$tmp" ${dest}; then echo same; exit 0; fi`,
    `if [ -e ${dest} ]; then chmod --reference=${dest} "$tmp" && chown --reference=${dest} "$tmp" || exit 1; else chmod 0644 "$tmp"; fi`,
    ...(args.backup ? [`[ -e ${dest} ] && { b=${dest}.$(date +%Y-%m-%d@%H:%M:%S~); cp -p ${dest} "$b" && printf 'backup %s\\n' "$b"; }`] : []),
    ...(mode ? [`chmod ${mode} "$tmp"`] : []),
    ...(args.owner ? [`chown ${quote(checkName(args.owner, 'owner'))} "$tmp"`] : []),
    ...(args.group ? [`chgrp ${quote(checkName(args.group, 'group'))} "$tmp"`] : []),
    `mv -f "$tmp" ${dest} && echo moved`,
  );
  return {
    kind: 'run',
    script: script.join('\n'),
    stdin: request.stdin,
    what: `downloading ${args.url}`,
    result: (res) => downloadResult(args, found, sum, res),
  };
}

function downloadResult(args: GetUrlArgs, found: GetUrlFound, sum: Checksum | undefined, res: { rc: number; stdout: string; stderr: string }) {
  const base = { url: args.url, dest: found.path, checksum_dest: found.sha1 ?? null };
  if (res.rc !== 0) return { ...base, failed: true, changed: false, msg: (res.stderr || res.stdout).trim() };
  const response = parseResponse({ rc: 0, stdout: res.stdout, stderr: '' }, args.url);
  const line = (tag: string) => taggedValue(res.stdout, tag);
  const common = { ...base, status_code: response.status, elapsed: response.elapsedSec };
  if (response.status === 304) return { ...common, changed: false, msg: `HTTP Error 304: ${response.reason}` };
  if (response.status < 0) return { ...common, failed: true, changed: false, msg: responseMessage(response).replace(/^Request failed: /, '') };
  if (response.status !== 200) return { ...common, failed: true, changed: false, msg: 'Request failed', response: responseMessage(response) };
  const checksumSrc = line('sha1');
  const wrong = line('checksum');
  if (wrong !== undefined && sum)
    return {
      ...common,
      failed: true,
      changed: false,
      checksum_src: checksumSrc,
      msg: `The checksum for ${found.path} did not match ${sum.digest}; it was ${wrong}.`,
    };
  const moved = res.stdout.split('\n').includes('moved');
  const backup = line('backup');
  const md5sum = line('md5');
  return { ...common, changed: moved, checksum_src: checksumSrc, md5sum, msg: responseMessage(response), ...(backup ? { backup_file: backup } : {}) };
}

function planGetUrl(args: GetUrlArgs, found: GetUrlFound): Outcome {
  const { sum } = found;
  if (typeof sum === 'string') return { changed: false, failed: true, msg: sum };
  const result = { url: args.url, dest: found.path, checksum_dest: found.sha1 ?? null, checksum_src: null };
  if (found.stat.exists && found.stat.type !== 'file') return { changed: false, failed: true, msg: `${found.path} exists and is not a file`, result };
  if (found.stat.exists && sum && !args.force && found.digest === sum.digest) {
    const attrs = attrChanges(found.stat, args, found.path);
    if (!attrs.changed) return { changed: false, msg: 'file already exists', result };
    return {
      changed: true,
      msg: 'file already exists but file attributes changed',
      result,
      diff: [{ before: `${attrs.before.join('\n')}\n`, after: `${attrs.after.join('\n')}\n`, beforeHeader: found.path, afterHeader: found.path }],
      steps: attrs.commands.map((script) => ({ kind: 'run' as const, script })),
    };
  }
  const why = !found.stat.exists ? `${found.path} would be downloaded` : `${found.path} would be downloaded again and replaced if it differs`;
  return { changed: true, msg: why, result, steps: [downloadStep(args, found, sum)] };
}

export const get_url: Module<GetUrlArgs, GetUrlFound> = {
  name: 'get_url',
  freeForm: 'kv',
  argAliases: { username: 'url_username', password: 'url_password' },
  schema: {
    type: 'object',
    description: 'Downloads a file on the host from a URL (curl on the host), replacing dest only when the download differs.',
    properties: {
      url: { type: 'string', description: 'http(s):// or ftp:// URL.' },
      dest: { type: 'string', description: "The file on the host, or a directory (the file is then named after the URL's last part)." },
      force: { type: 'boolean', description: 'Download even when dest matches checksum (default false; without checksum dest is compared anyway).' },
      checksum: {
        type: 'string',
        description:
          "'<algorithm>:<hex digest>' or '<algorithm>:<URL of a checksum file>' (md5, sha1, sha224, sha256, sha384, sha512): a matching dest is kept, a download must match.",
      },
      backup: { type: 'boolean', description: 'Keep a timestamped copy of the old dest.' },
      ...httpProperties,
      timeout: { type: 'integer', description: 'Seconds for the request (default 10).' },
      ...attrProperties,
    },
    required: ['url', 'dest'],
    additionalProperties: false,
  },
  probe(args) {
    const asked = parseChecksum(args.checksum);
    /** The file's stat, then its digests when it is a file. */
    const look = (path: string, sum: Checksum | string | undefined): Query<GetUrlFound> => {
      const algorithm = typeof sum === 'object' ? sum.algorithm : undefined;
      const stat = statQuery(path, { follow: true });
      return new Query(stat.script, (res) => {
        const found = stat.parse(res) as RemoteStat;
        return found.type === 'file' ? sumsQuery(path, algorithm).map((sums) => ({ path, stat: found, sum, ...sums })) : { path, stat: found, sum };
      });
    };
    const lookAtDest = (sum: Checksum | string | undefined): Query<GetUrlFound> => {
      const dest = look(args.dest, sum);
      return new Query(
        dest.script,
        (res) => {
          const found = dest.parse(res);
          if (found instanceof Query || found.stat.type !== 'directory') return found;
          // A directory: the file's name is the response's (Ansible's get_url asks with HEAD in check mode).
          const head = requestScript({ ...requestOf(args), method: 'HEAD' });
          return new Query(head.script, (answer) => look(posix.join(args.dest, responseFilename(parseResponse(answer, args.url), args.url)), sum), {
            stdin: head.stdin,
            live: true,
            what: `HEAD ${args.url}`,
          });
        },
        { live: true },
      );
    };
    if (typeof asked !== 'object' || !('url' in asked)) return lookAtDest(asked);
    // The checksum file is read first, in check mode too (it changes nothing), as Ansible's get_url does.
    const { url, algorithm } = asked;
    const request = requestScript(requestOf({ ...args, url }));
    return new Query(
      request.script,
      (res) => {
        const response = parseResponse(res, url);
        if (response.status !== 200) throw new ModuleError(`${responseMessage(response)} (the checksum file ${url})`);
        const found = checksumFromFile(response.body.toString('utf8'), args.url);
        if (found === undefined) throw new ModuleError(`Unable to find a checksum for file '${urlFilename(args.url)}' in '${url}'`);
        return lookAtDest(hexDigest(algorithm, found));
      },
      { stdin: request.stdin, live: true, what: `reading the checksum file ${url}` },
    );
  },
  plan: planGetUrl,
};
