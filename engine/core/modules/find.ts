// find: the files of directories on the host that match, as Ansible's find: one `find -printf`
// per path lists every entry with its stat; the filters (patterns, excludes, age, size, type,
// hidden, depth) are pure, over os.walk's order (per directory its files, then its directories);
// contents (contains) and checksums are read only for the entries that got that far.
import { quote, quotePath } from '../connection/quote';
import { globRegExp } from '../glob';
import { pythonRegExp } from '../pyregex';
import { type Module, type Outcome, Query } from './types';
import { listArg } from './util/list-arg';

interface FindArgs {
  paths: string[] | string;
  patterns?: string[] | string;
  excludes?: string[] | string;
  contains?: string;
  read_whole_file?: boolean;
  file_type?: 'any' | 'directory' | 'file' | 'link';
  age?: string | number;
  age_stamp?: 'atime' | 'ctime' | 'mtime';
  size?: string | number;
  recurse?: boolean;
  hidden?: boolean;
  follow?: boolean;
  get_checksum?: boolean;
  use_regex?: boolean;
  depth?: number;
}

/** One entry as find printed it (lstat's view; with follow, the target's). */
interface Entry {
  path: string;
  /** Depth below the path searched (its own entries: 1). */
  depth: number;
  type: string;
  /** The type a symlink points to (os.walk counts a link to a directory as a directory). */
  target: string;
  mode: number;
  uid: number;
  gid: number;
  owner: string;
  group: string;
  size: number;
  inode: number;
  dev: number;
  nlink: number;
  atime: number;
  mtime: number;
  ctime: number;
}

interface Searched {
  path: string;
  /** Why it was not searched (not a directory, not readable). */
  skipped?: string;
  entries: Entry[];
}

interface FindFound {
  searched: Searched[];
  now: number;
  /** Paths whose content matched `contains`, and sha1 of the files that need one. */
  contains?: Set<string>;
  sha1?: Record<string, string>;
}

/** A Python regexp as re.match applies it: anchored at the start (after any leading inline flags). */
function anchored(pattern: string): RegExp {
  const flags = /^\(\?[aiLmsux]+\)/.exec(pattern)?.[0] ?? '';
  return pythonRegExp(`${flags}^(?:${pattern.slice(flags.length)})`);
}

const FIELDS = '%y %Y %d %m %U %G %s %i %D %n %A@ %T@ %C@ %u\\0%g\\0%p\\0';

function searchScript(args: FindArgs): string {
  const depth = args.recurse ? '' : ' -maxdepth 1';
  return listArg(args.paths)
    .map((path) => {
      const p = quotePath(path);
      return [
        `if [ ! -d ${p} ]; then printf 'skip %s\\n' ${quote(`'${path}' is not a directory`)}`,
        `else printf 'path\\n'; find ${args.follow ? '-L ' : ''}${p} -mindepth 1${depth} -printf '${FIELDS}' 2>/dev/null | base64 -w0; echo; fi`,
      ].join('\n');
    })
    .join('\n');
}

function parseEntries(data: string): Entry[] {
  const fields = Buffer.from(data, 'base64').toString('utf8').split('\0');
  const entries: Entry[] = [];
  // Three \0-ended fields per entry: the stat line (owner last), the group, the path.
  for (let i = 0; i + 2 < fields.length; i += 3) {
    const [type, target, depth, mode, uid, gid, size, inode, dev, nlink, atime, mtime, ctime, owner] = fields[i].split(' ');
    const group = fields[i + 1];
    entries.push({
      path: fields[i + 2],
      depth: Number(depth),
      type,
      target,
      mode: Number.parseInt(mode, 8),
      uid: Number(uid),
      gid: Number(gid),
      // find prints the id where no name is known; Ansible's find gives ''.
      owner: owner === uid ? '' : owner,
      group: group === gid ? '' : group,
      size: Number(size),
      inode: Number(inode),
      dev: Number(dev),
      nlink: Number(nlink),
      atime: Number(atime),
      mtime: Number(mtime),
      ctime: Number(ctime),
    });
  }
  return entries;
}

function parseSearch(stdout: string, args: FindArgs): FindFound {
  const lines = stdout.split('\n');
  const paths = listArg(args.paths);
  const searched: Searched[] = [];
  let now = Date.now() / 1000;
  for (let i = 0; i < lines.length; i++) {
    const [tag, ...rest] = lines[i].split(' ');
    if (tag === 'now') now = Number(rest[0]);
    else if (tag === 'skip') searched.push({ path: paths[searched.length], skipped: rest.join(' '), entries: [] });
    else if (tag === 'path') searched.push({ path: paths[searched.length], entries: parseEntries(lines[++i] ?? '') });
  }
  return { searched, now };
}

/** `3d`, `-1w`, `600`: seconds (Ansible's units s m h d w); `10m`, `-1k`: bytes (b k m g t). */
function withUnit(value: string | number | undefined, units: Record<string, number>, what: string): number | undefined | string {
  if (value === undefined) return undefined;
  const m = new RegExp(`^(-?\\d+)([${Object.keys(units).join('')}])?$`).exec(String(value).toLowerCase());
  return m ? Number(m[1]) * (units[m[2] ?? ''] ?? 1) : `failed to process ${what}`;
}
const AGE_UNITS = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const SIZE_UNITS = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** os.walk's order from find's pre-order listing: per directory its non-directories, then its directories, each walked in turn. */
function walkOrder(entries: Entry[], root: string): Entry[] {
  const children = new Map<string, Entry[]>();
  for (const e of entries) {
    const parent = e.path.slice(0, e.path.lastIndexOf('/')) || '/';
    children.set(parent, [...(children.get(parent) ?? []), e]);
  }
  const isDir = (e: Entry) => e.type === 'd' || (e.type === 'l' && e.target === 'd');
  const out: Entry[] = [];
  const walk = (dir: string) => {
    const here = children.get(dir) ?? [];
    out.push(...here.filter((e) => !isDir(e)), ...here.filter(isDir));
    for (const d of here.filter((e) => e.type === 'd')) walk(d.path);
  };
  walk(root.replace(/\/+$/, '') || '/');
  return out;
}

function nameMatcher(args: FindArgs): (name: string) => boolean {
  const compile = (p: string) => (args.use_regex ? anchored(p) : globRegExp(p));
  const patterns = listArg(args.patterns).length ? listArg(args.patterns).map(compile) : [compile(args.use_regex ? '.*' : '*')];
  const excludes = listArg(args.excludes).map(compile);
  return (name) => patterns.some((p) => p.test(name)) && !excludes.some((e) => e.test(name));
}

/** Ansible's stat fields of a found entry. */
function statInfo(e: Entry): Record<string, unknown> {
  const bit = (b: number) => (e.mode & b) !== 0;
  return {
    path: e.path,
    mode: (e.mode & 0o7777).toString(8).padStart(4, '0'),
    isdir: e.type === 'd',
    ischr: e.type === 'c',
    isblk: e.type === 'b',
    isreg: e.type === 'f',
    isfifo: e.type === 'p',
    islnk: e.type === 'l',
    issock: e.type === 's',
    uid: e.uid,
    gid: e.gid,
    size: e.size,
    inode: e.inode,
    dev: e.dev,
    nlink: e.nlink,
    atime: e.atime,
    mtime: e.mtime,
    ctime: e.ctime,
    gr_name: e.group,
    pw_name: e.owner,
    wusr: bit(0o200),
    rusr: bit(0o400),
    xusr: bit(0o100),
    wgrp: bit(0o20),
    rgrp: bit(0o40),
    xgrp: bit(0o10),
    woth: bit(0o2),
    roth: bit(0o4),
    xoth: bit(0o1),
    isuid: bit(0o4000),
    isgid: bit(0o2000),
  };
}

interface Selection {
  matched: Entry[];
  examined: number;
  skipped: Record<string, string>;
  /** Files that pass every filter but contains (which needs their content). */
  needContent: string[];
  needSum: string[];
}

/** Pure: the entries Ansible's find would return, before contains and checksums. */
function select(args: FindArgs, found: FindFound): Selection | string {
  const age = withUnit(args.age, AGE_UNITS, 'age');
  const size = withUnit(args.size, SIZE_UNITS, 'size');
  if (typeof age === 'string') return age;
  if (typeof size === 'string') return size;
  const names = nameMatcher(args);
  const type = args.file_type ?? 'file';
  const stamp = args.age_stamp ?? 'mtime';
  const aged = (e: Entry) => age === undefined || (age >= 0 ? found.now - e[stamp] >= age : found.now - e[stamp] <= -age);
  const sized = (e: Entry) => size === undefined || (size >= 0 ? e.size >= size : e.size <= -size);
  const out: Selection = { matched: [], examined: 0, skipped: {}, needContent: [], needSum: [] };
  for (const searched of found.searched) {
    if (searched.skipped) {
      out.skipped[searched.path] = searched.skipped;
      continue;
    }
    // Entries deeper than depth are counted (their directory was listed) but neither kept nor walked.
    const walked = searched.entries.filter((e) => args.depth === undefined || args.depth === 0 || e.depth <= args.depth + 1);
    out.examined += walked.length;
    for (const e of walkOrder(walked, searched.path)) {
      const name = e.path.slice(e.path.lastIndexOf('/') + 1);
      if ((args.depth && e.depth > args.depth) || (name.startsWith('.') && !args.hidden)) continue;
      if (!names(name) || !aged(e)) continue;
      const regular = e.type === 'f';
      const keep = type === 'any' ? !regular || sized(e) : type === 'directory' ? e.type === 'd' : type === 'link' ? e.type === 'l' : regular && sized(e);
      if (!keep) continue;
      out.matched.push(e);
      if (type === 'file' && args.contains !== undefined) out.needContent.push(e.path);
      if (regular && args.get_checksum) out.needSum.push(e.path);
    }
  }
  return out;
}

/** Content and checksums of the entries that need them, in one look. */
function detailsQuery(args: FindArgs, selection: Selection): Query<{ contains: Set<string>; sha1: Record<string, string> }> {
  const content = selection.needContent.map(
    (p) => `printf 'content %s ' ${quote(Buffer.from(p).toString('base64'))}; base64 -w0 < ${quotePath(p)} 2>/dev/null; echo`,
  );
  const sums = selection.needSum.map(
    (p) => `printf 'sha1 %s ' ${quote(Buffer.from(p).toString('base64'))}; sha1sum < ${quotePath(p)} 2>/dev/null | cut -d' ' -f1`,
  );
  return new Query([...content, ...sums, 'true'].join('\n'), (res) => {
    // Line by line Ansible matches at each line's start (re.match); with read_whole_file it searches the whole text.
    const pattern = args.contains === undefined ? undefined : args.read_whole_file ? pythonRegExp(args.contains) : anchored(args.contains);
    const contains = new Set<string>();
    const sha1: Record<string, string> = {};
    for (const line of res.stdout.split('\n')) {
      const [tag, path64, value = ''] = line.split(' ');
      const path = Buffer.from(path64 ?? '', 'base64').toString('utf8');
      if (tag === 'sha1') sha1[path] = value;
      else if (tag === 'content' && pattern) {
        const text = Buffer.from(value, 'base64').toString('utf8');
        if (args.read_whole_file ? pattern.test(text) : text.split(/(?<=\n)/).some((l) => pattern.test(l))) contains.add(path);
      }
    }
    return { contains, sha1 };
  });
}

function planFind(args: FindArgs, found: FindFound): Outcome {
  const selection = select(args, found);
  if (typeof selection === 'string') return { changed: false, failed: true, msg: selection };
  const files = selection.matched
    .filter((e) => !found.contains || !selection.needContent.includes(e.path) || found.contains.has(e.path))
    .map((e) => ({ ...statInfo(e), ...(found.sha1?.[e.path] ? { checksum: found.sha1[e.path] } : {}) }));
  const msg = Object.keys(selection.skipped).length ? 'Not all paths examined, check warnings for details' : 'All paths examined';
  return { changed: false, msg, result: { files, matched: files.length, examined: selection.examined, skipped_paths: selection.skipped } };
}

export const find: Module<FindArgs, FindFound> = {
  name: 'find',
  freeForm: 'kv',
  argAliases: { name: 'paths', path: 'paths', pattern: 'patterns', exclude: 'excludes' },
  schema: {
    type: 'object',
    description: 'Lists the files of directories on the host that match name patterns, age, size, type or content (read-only).',
    properties: {
      paths: { type: ['array', 'string'], items: { type: 'string' }, description: 'Directories to search.' },
      patterns: {
        type: ['array', 'string'],
        items: { type: 'string' },
        description: 'Globs (or with use_regex, Python regexps) the base name must match; default all.',
      },
      excludes: { type: ['array', 'string'], items: { type: 'string' }, description: 'Base names left out (globs or regexps).' },
      contains: { type: 'string', description: 'A Python regexp a line must match from its start (with read_whole_file: found anywhere in the file).' },
      read_whole_file: { type: 'boolean', description: 'contains searches the whole file.' },
      file_type: { enum: ['any', 'directory', 'file', 'link'], description: 'Default file.' },
      age: { type: ['string', 'integer'], description: "At least this old (s, m, h, d, w; e.g. '2d'), or with '-' at most." },
      age_stamp: { enum: ['atime', 'ctime', 'mtime'], description: 'Default mtime.' },
      size: { type: ['string', 'integer'], description: "At least this big (b, k, m, g, t; e.g. '10m'), or with '-' at most." },
      recurse: { type: 'boolean', description: 'Into subdirectories too (default false).' },
      hidden: { type: 'boolean', description: 'Names starting with . too (default false).' },
      follow: { type: 'boolean', description: 'Follow symbolic links to directories.' },
      get_checksum: { type: 'boolean', description: "Each file's sha1 as checksum." },
      use_regex: { type: 'boolean', description: 'patterns and excludes are Python regexps matched at the start of the name.' },
      depth: { type: 'integer', description: 'With recurse: how many levels down (1: the paths themselves).' },
    },
    required: ['paths'],
    additionalProperties: false,
  },
  probe(args) {
    return new Query(`printf 'now %s\\n' "$(date +%s.%N)"\n${searchScript(args)}`, (res) => {
      const found = parseSearch(res.stdout, args);
      const selection = select(args, found);
      if (typeof selection === 'string' || (!selection.needContent.length && !selection.needSum.length)) return found;
      return detailsQuery(args, selection).map((details) => ({ ...found, ...details }));
    });
  },
  plan: planFind,
};
