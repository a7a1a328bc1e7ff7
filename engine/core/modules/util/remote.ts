// Looks at remote files, as queries: what file-like modules (copy, template, lineinfile,
// blockinfile, file, stat, sysctl) read before they plan.
import { createHash } from 'node:crypto';
import { quotePath } from '../../connection/quote';
import { ModuleError, Query } from '../types';

export interface RemoteStat {
  exists: boolean;
  type?: 'file' | 'directory' | 'link' | 'block' | 'char' | 'other';
  mode?: string;
  owner?: string;
  group?: string;
  size?: number;
  mtime?: number;
  uid?: number;
  gid?: number;
  /** Hard links to it (stat's %h). */
  nlink?: number;
  linkTarget?: string;
  sha256?: string;
  content?: Buffer;
  /** The umask of the host's shell, where a symbolic mode or a new file's mode needs it. */
  umask?: number;
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface StatWants {
  content?: boolean;
  contentLimit?: number;
  checksum?: boolean;
  follow?: boolean;
}

/**
 * Parses the output of statScript: a line `absent`, or type+attributes, link target, checksum
 * (sha256sum's line) and base64 content. Content read whole is checksummed here, not on the host.
 */
function parseStat(stdout: string, want: StatWants = {}): RemoteStat {
  const [head, link, sum, content] = stdout.split('\n');
  const fields = head.split(' ');
  // The umask is the last field: after `absent`, or after the nine of an existing path.
  const umaskField = fields[0] === 'absent' ? fields[1] : fields[9];
  const umask = umaskField && /^[0-7]{3,4}$/.test(umaskField) ? { umask: Number.parseInt(umaskField, 8) } : {};
  if (fields[0] === 'absent') return { exists: false, ...umask };
  const [type, mode, owner, group, size, mtime, uid, gid, nlink] = fields;
  const data = want.content && type === 'file' && content !== undefined && content !== '-' ? Buffer.from(content, 'base64') : undefined;
  return {
    exists: true,
    type: type as RemoteStat['type'],
    mode: mode.padStart(4, '0'),
    owner,
    group,
    size: Number(size),
    mtime: Number(mtime),
    ...(uid === undefined ? {} : { uid: Number(uid), gid: Number(gid) }),
    ...(nlink === undefined || !/^\d+$/.test(nlink) ? {} : { nlink: Number(nlink) }),
    ...umask,
    linkTarget: link || undefined,
    sha256: sum ? sum.slice(0, 64) : data ? sha256(data) : undefined,
    content: data,
  };
}

/**
 * As few programs as the answer needs (each costs milliseconds on a small host, and a run probes
 * hundreds of paths): one stat, then base64 of a file small enough to compare (its checksum is
 * computed from it), or sha256sum of a larger one.
 */
function statScript(path: string, want: StatWants): string {
  const p = quotePath(path);
  const test = want.follow ? '' : `if [ -L ${p} ]; then t=link; el`;
  const limit = want.content ? (want.contentLimit ?? Number.MAX_SAFE_INTEGER) : -1;
  return [
    // umask is the shell's own (no program): what a new file's or a symbolic mode's bits depend on.
    `${test}if [ -d ${p} ]; then t=directory; elif [ -f ${p} ]; then t=file; elif [ -b ${p} ]; then t=block; elif [ -c ${p} ]; then t=char; elif [ -e ${p} ] || [ -L ${p} ]; then t=other; else printf 'absent '; umask; exit 0; fi`,
    `set -- $(stat ${want.follow ? '-L ' : ''}-c '%a %U %G %s %Y %u %g %h' ${p}); printf '%s ' "$t" "$@"; umask`,
    `if [ "$t" = link ]; then readlink ${p}; else echo; fi`,
    want.checksum || want.content
      ? `if [ "$t" = file ] && [ "$4" -le ${limit} ]; then echo; base64 -w0 < ${p}; elif [ "$t" = file ]; then sha256sum < ${p}; printf -- -; else printf '\\n-'; fi`
      : 'true',
  ].join('\n');
}

/**
 * One look: type, mode, owner, group, size, mtime, link target, and on request the sha256 and
 * the content (base64, so binary files survive the text channel).
 */
export function statQuery(path: string, want: StatWants = {}): Query<RemoteStat> {
  return new Query(statScript(path, want), (res) => parseStat(res.stdout, want), { what: `looking at ${path}` });
}

export interface RemoteText {
  stat: RemoteStat;
  text: string | undefined;
}

/** A text file's attributes and content (undefined when it does not exist). */
export function textQuery(path: string): Query<RemoteText> {
  return statQuery(path, { content: true, follow: true }).map((stat) => {
    // Ansible's words and rc for a directory; the engine's for other kinds.
    if (stat.type === 'directory') throw new ModuleError(`Path ${path} is a directory !`, { rc: 256 });
    if (stat.exists && stat.type !== 'file') throw new ModuleError(`${path} exists but is a ${stat.type}, not a file`);
    return { stat, text: stat.content?.toString('utf8') };
  });
}

/**
 * A probe's tagged output line: the rest of the first line that is `tag` or starts with `tag `
 * (undefined when there is none). Probes print one such line per fact they report.
 */
export function taggedValue(stdout: string, tag: string): string | undefined {
  return stdout
    .split('\n')
    .find((line) => line === tag || line.startsWith(`${tag} `))
    ?.slice(tag.length + 1);
}
