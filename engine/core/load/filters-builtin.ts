// More of ansible.builtin's filters, with Python's semantics where JavaScript's differ: paths
// (os.path), hashes, sizes (Ansible's bytes_to_human / human_to_bytes), sets, math, URLs.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, posix, win32 } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { globRegExp } from '../glob';
import { pythonStrftime } from '../pytime';
import { callArgs, toBool } from './filters';
import { isDict, type PyTuple, pythonEqual, pythonStr, pythonTypeName, tuple } from './template/pyrepr';

type Filter = (...args: any[]) => unknown;

/** os.path.join: a component that is absolute starts the path again. */
function pathJoin(parts: string | string[]): string {
  return [parts].flat().reduce((acc, p) => (p.startsWith('/') || acc === '' ? p : acc.endsWith('/') ? acc + p : `${acc}/${p}`), '');
}

/** os.path.splitext: the extension of the last component; leading dots are not one. */
function splitext(path: string): PyTuple {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  if (dot <= 0 || /^\.+$/.test(base.slice(0, dot + 1))) return tuple(path, '');
  const at = path.length - base.length + dot;
  return tuple(path.slice(0, at), path.slice(at));
}

/** os.path.expandvars: $NAME and ${NAME} of the controller's environment; unknown ones stay. */
function expandvars(text: string): string {
  return text.replace(/\$(\w+)|\$\{([^}]*)\}/g, (whole, a: string | undefined, b: string | undefined) => process.env[a ?? b ?? ''] ?? whole);
}

const SIZE_RANGES: Array<[string, number]> = [
  ['Y', 2 ** 80],
  ['Z', 2 ** 70],
  ['E', 2 ** 60],
  ['P', 2 ** 50],
  ['T', 2 ** 40],
  ['G', 2 ** 30],
  ['M', 2 ** 20],
  ['K', 2 ** 10],
  ['B', 1],
];

/** Python's round(): halves to even. */
function roundHalfEven(n: number): number {
  const floor = Math.floor(n);
  const diff = n - floor;
  if (diff !== 0.5) return Math.round(n);
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Ansible's bytes_to_human. */
function humanReadable(size: unknown, isbits = false, unit?: string): string {
  if (typeof size !== 'number' && typeof size !== 'boolean')
    throw new Error(`human_readable() failed on bad input: '>=' not supported between instances of '${pythonTypeName(size)}' and 'int'`);
  const base = isbits ? 'bits' : 'Bytes';
  let [suffix, limit] = SIZE_RANGES[SIZE_RANGES.length - 1];
  for (const [s, l] of SIZE_RANGES) {
    [suffix, limit] = [s, l];
    if ((unit === undefined && Number(size) >= l) || (unit !== undefined && unit.toUpperCase() === s)) break;
  }
  return `${(Number(size) / limit).toFixed(2)} ${limit !== 1 ? suffix + base[0] : base}`;
}

/** Ansible's human_to_bytes: `10M`, `1.5 GB`, `2Kb` with isbits. */
function humanToBytes(value: unknown, defaultUnit?: string, isbits = false): number {
  const m = /^\s*(\d*\.?\d*)\s*([A-Za-z]+)?/.exec(String(value));
  const num = m && m[1] !== '' && m[1] !== '.' ? Number(m[1]) : Number.NaN;
  if (!m || Number.isNaN(num)) throw new Error(`human_to_bytes() can't interpret following string: ${String(value)}`);
  const unit = m[2] ?? defaultUnit;
  if (unit === undefined) return roundHalfEven(num);
  const key = unit[0].toUpperCase();
  const limit = SIZE_RANGES.find(([s]) => s === key)?.[1];
  if (limit === undefined)
    throw new Error(
      `human_to_bytes() failed to convert ${String(value)} (unit = ${unit}). The suffix must be one of ${SIZE_RANGES.map(([s]) => s).join(', ')}`,
    );
  const [unitClass, unitName] = isbits ? ['b', 'bit'] : ['B', 'byte'];
  if (unit.length > 1 && !unit.toLowerCase().includes(unitName) && unit[1] !== unitClass) {
    const expect = key === 'B' ? `expect ${unitClass} or ${unitName}` : `expect ${key}${unitClass} or ${key}`;
    throw new Error(`human_to_bytes() failed to convert ${String(value)}. Value is not a valid string (${expect})`);
  }
  return roundHalfEven(num * limit);
}

/** A number for Python's math functions (a bool is one); anything else refused in Ansible's words. */
function real(filter: string, x: unknown): number {
  if (typeof x === 'number') return x;
  if (typeof x === 'boolean') return Number(x);
  throw new Error(`${filter}() can only be used on numbers: must be real number, not ${pythonTypeName(x)}`);
}

/** uuid.uuid5 with Ansible's namespace (to_uuid). */
function toUuid(name: unknown, namespace = '361E6D51-FAEC-444A-9079-341386DA8E2E'): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1')
    .update(Buffer.concat([ns, Buffer.from(String(name))]))
    .digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** urllib's urlsplit, as a mapping (or one of its fields). */
function urlsplit(url: string, query?: string): unknown {
  const m = /^(?:([A-Za-z][A-Za-z0-9+.-]*):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(url)!;
  const netloc = m[2] ?? '';
  const auth = netloc.includes('@') ? netloc.slice(0, netloc.lastIndexOf('@')) : undefined;
  const hostport = netloc.slice(netloc.lastIndexOf('@') + 1);
  const hp = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(hostport);
  const parts: Record<string, unknown> = {
    fragment: m[5] ?? '',
    hostname: hp?.[1] ? hp[1].replace(/^\[|\]$/g, '').toLowerCase() : null,
    netloc,
    password: auth?.includes(':') ? auth.slice(auth.indexOf(':') + 1) : null,
    path: m[3] ?? '',
    port: hp?.[2] ? Number(hp[2]) : null,
    query: m[4] ?? '',
    scheme: (m[1] ?? '').toLowerCase(),
    username: auth === undefined ? null : auth.split(':')[0],
  };
  if (query === undefined || query === '') return parts;
  if (!(query in parts)) throw new Error(`urlsplit: unknown URL component: ${query}`);
  return parts[query];
}

/** itertools.product / combinations / permutations, as lists. */
function product(...lists: unknown[][]): PyTuple[] {
  return lists.reduce<unknown[][]>((acc, list) => acc.flatMap((head) => [...list].map((x) => [...head, x])), [[]]).map((t) => tuple(...t));
}

function combinations(items: unknown[], r: number): unknown[][] {
  if (r === 0) return [[]];
  return items.flatMap((x, i) => combinations(items.slice(i + 1), r - 1).map((rest) => [x, ...rest]));
}

function permutations(items: unknown[], r = items.length): unknown[][] {
  if (r === 0) return [[]];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)], r - 1).map((rest) => [x, ...rest]));
}

const tuples = (lists: unknown[][]) => lists.map((t) => tuple(...t));

/** The controller's files matching a glob (Ansible's fileglob filter: files only, no directories). */
function fileglob(pattern: string): string[] {
  const dir = dirname(pattern);
  if (!existsSync(dir)) return [];
  const re = globRegExp(pattern.slice(dir.length + 1));
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && re.test(e.name))
    .map((e) => join(dir, e.name));
}

/** A list of mappings as one mapping keyed by a member of each; a key twice is an error unless duplicates='overwrite'. */
function rekeyOnMember(data: unknown, key: string, ...raw: unknown[]): Record<string, unknown> {
  const { args, keywords } = callArgs(raw);
  const duplicates = String(keywords.duplicates ?? args[0] ?? 'error');
  if (duplicates !== 'error' && duplicates !== 'overwrite') throw new Error(`duplicates parameter to rekey_on_member has unknown value: ${duplicates}`);
  const items = Array.isArray(data) ? data : isDict(data) ? Object.values(data) : undefined;
  if (!items) throw new Error('Type is not a valid list, set, or dict');
  const out: Record<string, unknown> = {};
  for (const item of items) {
    if (!isDict(item)) throw new Error('List item is not a valid dict');
    if (!(key in item)) throw new Error(`Key ${key} was not found`);
    const k = pythonStr(item[key]);
    if (k in out && duplicates === 'error') throw new Error(`Key ${k} is not unique, cannot correctly turn into dict`);
    out[k] = item;
  }
  return out;
}

/** The subelements filter: (element, subitem) pairs; unlike the lookup, the element keeps its list. */
function subelementsFilter(obj: unknown, path: string | string[], ...raw: unknown[]): PyTuple[] {
  const { args, keywords } = callArgs(raw);
  const skipMissing = Boolean(keywords.skip_missing ?? args[0] ?? false);
  const elements = Array.isArray(obj) ? obj : obj && typeof obj === 'object' ? Object.values(obj) : undefined;
  if (!elements) throw new Error('obj must be a list of dicts or a nested dict');
  const keys = Array.isArray(path) ? path : String(path).split('.');
  return elements.flatMap((element) => {
    let values: unknown = element;
    for (const key of keys) {
      if (!values || typeof values !== 'object') throw new Error(`the key ${key} should point to a dictionary, got '${JSON.stringify(values)}'`);
      if (!(key in values)) {
        if (skipMissing) return [];
        throw new Error(`could not find '${key}' key in iterated item ${JSON.stringify(values)}`);
      }
      values = (values as Record<string, unknown>)[key];
    }
    if (!Array.isArray(values)) throw new Error(`the key '${keys.join('.')}' should point to a list, got ${JSON.stringify(values)}`);
    return values.map((value) => tuple(element, value));
  });
}

const hashOf = (algorithm: string) => (v: unknown) => createHash(algorithm).update(String(v)).digest('hex');

/** Python's urllib quote: only letters, digits and _.-~ stay, and the characters of `safe`. */
function pythonQuote(text: string, safe: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%[0-7][0-9A-F]/g, (code) => {
      const char = String.fromCharCode(Number.parseInt(code.slice(1), 16));
      return safe.includes(char) ? char : code;
    });
}

/** Jinja2's urlencode: a string quoted keeping `/`; a dict or list of pairs as a query string. */
function urlencode(value: unknown): string {
  const form = (v: unknown) => pythonQuote(pythonStr(v), '').replace(/%20/g, '+');
  if (value !== null && typeof value === 'object' && !Array.isArray(value))
    return Object.entries(value)
      .map(([k, v]) => `${form(k)}=${form(v)}`)
      .join('&');
  if (Array.isArray(value)) return value.map((pair) => `${form((pair as unknown[])[0])}=${form((pair as unknown[])[1])}`).join('&');
  return pythonQuote(pythonStr(value), '/');
}

export const BUILTIN_FILTERS: Record<string, Filter> = {
  // `'%Y-%m-%d' | strftime(epoch)`: the moment given in seconds (now without one), local time unless utc.
  strftime: (format: string, ...raw: unknown[]) => {
    const { args, keywords } = callArgs(raw);
    const seconds = keywords.second ?? args[0];
    const when = seconds === undefined || seconds === null ? new Date() : new Date(Number(seconds) * 1000);
    return pythonStrftime(String(format), when, toBool(keywords.utc ?? args[1] ?? false));
  },
  path_join: pathJoin,
  splitext,
  expandvars,
  expanduser: (p: string) => (p === '~' || p.startsWith('~/') ? homedir() + p.slice(1) : p),
  realpath: (p: string) => (existsSync(p) ? realpathSync(p) : posix.resolve(p)),
  relpath: (p: string, start?: string) => posix.relative(posix.resolve(start ?? '.'), posix.resolve(p)) || '.',
  win_basename: (p: string) => win32.basename(p),
  win_dirname: (p: string) => win32.dirname(p),
  win_splitdrive: (p: string) => {
    const root = win32.parse(p).root.replace(/[\\/]$/, '');
    return tuple(root, p.slice(root.length));
  },
  fileglob,
  md5: hashOf('md5'),
  sha1: hashOf('sha1'),
  checksum: hashOf('sha1'),
  to_uuid: (name: unknown, ...raw: unknown[]) => {
    const { args, keywords } = callArgs(raw);
    return toUuid(name, (keywords.namespace ?? args[0]) as string | undefined);
  },
  from_yaml_all: (v: string) => parseAllDocuments(String(v)).map((d) => d.toJS()),
  human_readable: (size: unknown, ...raw: unknown[]) => {
    const { args, keywords } = callArgs(raw);
    return humanReadable(size, Boolean(keywords.isbits ?? args[0] ?? false), (keywords.unit ?? args[1]) as string | undefined);
  },
  human_to_bytes: (value: unknown, ...raw: unknown[]) => {
    const { args, keywords } = callArgs(raw);
    return humanToBytes(value, (keywords.default_unit ?? args[0]) as string | undefined, Boolean(keywords.isbits ?? args[1] ?? false));
  },
  symmetric_difference: (a: unknown[], b: unknown[]) => {
    const only = (x: unknown[], y: unknown[]) => x.filter((i) => !y.some((j) => pythonEqual(i, j)));
    const both = [...only(a, b), ...only(b, a)];
    return both.filter((x, i) => both.findIndex((y) => pythonEqual(x, y)) === i);
  },
  log: (x: unknown, base: unknown = Math.E) => Math.log(real('log', x)) / Math.log(real('log', base)),
  pow: (x: unknown, y: unknown) => real('pow', x) ** real('pow', y),
  root: (x: unknown, base: unknown = 2) => (base === 2 ? Math.sqrt(real('root', x)) : real('root', x) ** (1 / real('root', base))),
  zip_longest: (...raw: unknown[]) => {
    const { args, keywords } = callArgs(raw);
    const lists = args as unknown[][];
    const fill = keywords.fillvalue ?? null;
    return Array.from({ length: Math.max(0, ...lists.map((l) => l.length)) }, (_, i) => tuple(...lists.map((l) => (i < l.length ? l[i] : fill))));
  },
  product: (...raw: unknown[]) => {
    const { args, keywords } = callArgs(raw);
    const lists = args as unknown[][];
    const repeat = Number(keywords.repeat ?? 1);
    return product(...Array.from({ length: repeat }, () => lists).flat());
  },
  combinations: (items: unknown[], r: number) => tuples(combinations([...items], r)),
  permutations: (items: unknown[], r?: number) => tuples(permutations([...items], r)),
  urlsplit,
  urlencode,
  urldecode: (v: string) => decodeURIComponent(String(v).replace(/\+/g, ' ')),
  rekey_on_member: rekeyOnMember,
  subelements: subelementsFilter,
  shuffle: (items: unknown[]) => {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  },
};
