// stat: report facts about a path (read-only, never changes anything), the fields Ansible's
// stat returns, from one script: GNU stat's fields, the access tests, the checksum, the MIME type.
import { quote, quotePath } from '../connection/quote';
import { type Module, Query } from './types';

interface StatArgs {
  path: string;
  follow?: boolean;
  get_checksum?: boolean;
  checksum_algorithm?: string;
  get_mime?: boolean;
  get_attributes?: boolean;
}

const ALGORITHMS = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'];

/** GNU stat's format: the raw mode in hex first (type and set-id bits), then the rest. */
const FORMAT = '%f %a %u %g %U %G %s %i %d %h %b %B %.9X %.9Y %.9Z %t %T';

export type StatFound =
  | { exists: false }
  | { exists: true; fields: string[]; access: string; link: string; source: string; checksum?: string; mime?: string[] };

function statScript(args: StatArgs): string {
  const p = quotePath(args.path);
  const follow = args.follow ? '-L ' : '';
  const algorithm = args.checksum_algorithm ?? 'sha1';
  return [
    `if [ ! -e ${p} ] && [ ! -L ${p} ]; then echo absent; exit 0; fi`,
    `stat ${follow}-c ${quote(FORMAT)} ${p}`,
    `a=; [ -r ${p} ] && a=r; [ -w ${p} ] && a=\${a}w; [ -x ${p} ] && a=\${a}x; echo "a$a"`,
    `if [ -L ${p} ]; then readlink ${p}; readlink -f ${p}; else echo; echo; fi`,
    args.get_checksum !== false ? `if [ -f ${p} ] && [ -r ${p} ]; then ${algorithm}sum < ${p}; else echo; fi` : 'echo',
    args.get_mime !== false
      ? `file -b --mime-type ${follow}${p} 2>/dev/null || echo unknown; file -b --mime-encoding ${follow}${p} 2>/dev/null || echo unknown`
      : 'true',
  ].join('\n');
}

/** Parses what statScript printed. Pure. */
function parseStat(stdout: string, args: StatArgs): StatFound {
  const lines = stdout.split('\n');
  if (lines[0] === 'absent') return { exists: false };
  const [fields, access, link, source, sum, ...mime] = lines;
  return {
    exists: true,
    fields: fields.split(' '),
    access: access.slice(1),
    link,
    source,
    checksum: args.get_checksum !== false && sum ? sum.split(' ')[0] : undefined,
    mime: args.get_mime !== false ? mime.slice(0, 2) : undefined,
  };
}

const TYPE_BITS = { isdir: 0o040000, ischr: 0o020000, isblk: 0o060000, isreg: 0o100000, isfifo: 0o010000, islnk: 0o120000, issock: 0o140000 };

/** Ansible's stat dictionary from the parsed fields. Pure. */
function statResult(args: StatArgs, found: StatFound): Record<string, unknown> {
  if (!found.exists) return { exists: false };
  const [rawMode, , uid, gid, owner, group, size, inode, dev, nlink, blocks, blockSize, atime, mtime, ctime, major, minor] = found.fields;
  const mode = Number.parseInt(rawMode, 16);
  const perms = mode & 0o7777;
  const bit = (b: number) => (perms & b) !== 0;
  const type = Object.fromEntries(Object.entries(TYPE_BITS).map(([name, bits]) => [name, (mode & 0o170000) === bits]));
  const result: Record<string, unknown> = {
    exists: true,
    path: args.path,
    mode: perms.toString(8).padStart(4, '0'),
    ...type,
    uid: Number(uid),
    gid: Number(gid),
    pw_name: owner,
    gr_name: group,
    size: Number(size),
    inode: Number(inode),
    dev: Number(dev),
    nlink: Number(nlink),
    blocks: Number(blocks),
    block_size: Number(blockSize),
    atime: Number(atime),
    mtime: Number(mtime),
    ctime: Number(ctime),
    wusr: bit(0o200),
    rusr: bit(0o400),
    xusr: bit(0o100),
    wgrp: bit(0o020),
    rgrp: bit(0o040),
    xgrp: bit(0o010),
    woth: bit(0o002),
    roth: bit(0o004),
    xoth: bit(0o001),
    isuid: bit(0o4000),
    isgid: bit(0o2000),
    readable: found.access.includes('r'),
    writeable: found.access.includes('w'),
    executable: found.access.includes('x'),
  };
  if (type.ischr || type.isblk) result.device_type = Number.parseInt(major, 16) * 256 + Number.parseInt(minor, 16);
  if (type.islnk) Object.assign(result, { lnk_target: found.link, lnk_source: found.source });
  if (found.checksum !== undefined) result.checksum = found.checksum;
  if (found.mime) Object.assign(result, { mimetype: found.mime[0] || 'unknown', charset: found.mime[1] || 'unknown' });
  return result;
}

export const stat: Module<StatArgs, StatFound> = {
  name: 'stat',
  freeForm: 'kv',
  argAliases: { dest: 'path', name: 'path' },
  schema: {
    type: 'object',
    description:
      "Returns facts about a remote path in `stat`, as Ansible's stat: exists, mode, the type tests (isdir, isreg, islnk, ...), uid/gid and names, size, times, permission bits, readable/writeable/executable, checksum, mimetype.",
    properties: {
      path: { type: 'string', description: 'Remote path.' },
      follow: { type: 'boolean', description: 'Follow symlinks.' },
      get_checksum: { type: 'boolean', description: 'Compute the checksum of a regular file (default true).' },
      checksum_algorithm: { enum: ALGORITHMS, description: 'Its algorithm (default sha1, as Ansible).' },
      get_mime: { type: 'boolean', description: 'mimetype and charset, by file(1) (default true).' },
      get_attributes: { type: 'boolean', description: 'Accepted; attributes (lsattr) are not reported.' },
    },
    required: ['path'],
    additionalProperties: false,
  },
  probe: (args) => new Query(statScript(args), (res) => parseStat(res.stdout, args), { what: `looking at ${args.path}` }),
  plan(args, found) {
    const stat = statResult(args, found);
    return { changed: false, msg: found.exists ? 'exists' : 'absent', result: { stat } };
  },
};
