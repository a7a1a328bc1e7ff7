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
  linkTarget?: string;
  sha256?: string;
  content?: Buffer;
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

/** Parses the output of statScript: a line `absent`, or type+attributes, link target, checksum, base64 content. */
function parseStat(stdout: string, want: StatWants = {}): RemoteStat {
  const [head, link, sum, content] = stdout.split('\n');
  if (head === 'absent') return { exists: false };
  const [type, mode, owner, group, size, mtime] = head.split(' ');
  return {
    exists: true,
    type: type as RemoteStat['type'],
    mode: mode.padStart(4, '0'),
    owner,
    group,
    size: Number(size),
    mtime: Number(mtime),
    linkTarget: link || undefined,
    sha256: sum || undefined,
    content: want.content && type === 'file' && content !== '-' ? Buffer.from(content ?? '', 'base64') : undefined,
  };
}

function statScript(path: string, want: StatWants): string {
  const p = quotePath(path);
  const test = want.follow ? '' : `if [ -L ${p} ]; then t=link; el`;
  return [
    `${test}if [ -d ${p} ]; then t=directory; elif [ -f ${p} ]; then t=file; elif [ -b ${p} ]; then t=block; elif [ -c ${p} ]; then t=char; elif [ -e ${p} ] || [ -L ${p} ]; then t=other; else echo absent; exit 0; fi`,
    `echo "$t $(stat ${want.follow ? '-L ' : ''}-c '%a %U %G %s %Y' ${p})"`,
    `if [ "$t" = link ]; then readlink ${p}; else echo; fi`,
    want.checksum || want.content ? `if [ "$t" = file ]; then sha256sum < ${p} | cut -c1-64; else echo; fi` : 'echo',
    // Content only up to contentLimit bytes: larger files are compared by checksum alone.
    want.content
      ? `if [ "$t" = file ] && [ "$(stat -L -c %s ${p})" -le ${want.contentLimit ?? Number.MAX_SAFE_INTEGER} ]; then base64 -w0 < ${p}; else printf '%s' -; fi`
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
    if (stat.exists && stat.type !== 'file') throw new ModuleError(`${path} exists but is a ${stat.type}, not a file`);
    return { stat, text: stat.content?.toString('utf8') };
  });
}
