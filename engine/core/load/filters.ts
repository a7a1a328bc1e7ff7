// The Jinja2 filters and tests Ansible users reach for most, added to nunjucks.
import { posix } from 'node:path';
import type { Environment } from 'nunjucks';
import { stringify as toYaml, parse as fromYaml } from 'yaml';
import { quote } from '../connection/quote';
import { pythonJson } from '../pyjson';
import { pythonFormat } from './template/pyformat';
import { versionTest } from './versions';
import { isDict, pythonEqual, pythonStr, pythonTypeName, tuple } from './template/pyrepr';
import { pythonRegExp, regExpLiteral } from '../pyregex';

type Dict = Record<string, unknown>;

export function toBool(value: unknown): boolean {
  if (typeof value === 'string') return ['yes', 'on', '1', 'true', 'y', 't'].includes(value.trim().toLowerCase());
  return Boolean(value);
}

/** A call's positional and keyword arguments: nunjucks passes the keywords as a last object marked __keywords. */
export function callArgs(raw: unknown[]): { args: unknown[]; keywords: Record<string, unknown> } {
  const last = raw.at(-1) as { __keywords?: boolean } | undefined;
  return last && typeof last === 'object' && last.__keywords ? { args: raw.slice(0, -1), keywords: last } : { args: raw, keywords: {} };
}

/**
 * crypt(3) hash like Ansible's password_hash. Node has no crypt(), so the controller's openssl
 * computes it; the password goes through stdin, never argv. Pass a salt for idempotent results.
 */
export function passwordHash(password: unknown, scheme = 'sha512', salt?: string): string {
  const flag = { sha512: '-6', sha256: '-5', md5: '-1' }[scheme];
  if (!flag) throw new Error(`password_hash: unsupported scheme '${scheme}' (sha512, sha256, md5)`);
  const saltArgs = salt ? ['-salt', String(salt)] : [];
  return require('node:child_process')
    .execFileSync('openssl', ['passwd', flag, ...saltArgs, '-stdin'], { input: `${password}\n`, encoding: 'utf8' })
    .trim();
}

function attr(item: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v === null || v === undefined ? undefined : (v as Dict)[k]), item);
}

function statOf(path: unknown): import('node:fs').Stats | undefined {
  return (require('node:fs') as typeof import('node:fs')).statSync(String(path), { throwIfNoEntry: false });
}

function lstatOf(path: unknown): import('node:fs').Stats | undefined {
  return (require('node:fs') as typeof import('node:fs')).lstatSync(String(path), { throwIfNoEntry: false });
}

function sameFile(a: unknown, b: unknown): boolean {
  const [x, y] = [statOf(a), statOf(b)];
  return x !== undefined && y !== undefined && x.ino === y.ino && x.dev === y.dev;
}

/** Python's os.path.ismount: another device than its parent's, or the same inode (/). */
function isMount(p: unknown): boolean {
  const self = lstatOf(p);
  if (!self || self.isSymbolicLink()) return false;
  const parent = statOf(posix.join(String(p), '..'));
  return parent !== undefined && (parent.dev !== self.dev || parent.ino === self.ino);
}

/**
 * Ansible's regex tests: Python's re.search (or match) on the value as text (a dict or list as
 * Python prints it), with ignorecase= and multiline= (and regex's match_type=).
 */
function regexTest(value: unknown, pattern: string, rest: unknown[], matchType: 'search' | 'match'): boolean {
  const { args, keywords } = callArgs(rest);
  const [ignorecase = keywords.ignorecase, multiline = keywords.multiline, type = keywords.match_type ?? matchType] = args;
  const python = pythonRegExp(pattern, `${toBool(ignorecase) ? 'i' : ''}${toBool(multiline) ? 'm' : ''}`);
  // match and fullmatch: from the first character only (sticky), fullmatch to the last.
  const re = type === 'search' ? python : new RegExp(type === 'fullmatch' ? `(?:${python.source})(?![\\s\\S])` : python.source, `${python.flags}y`);
  return re.test(pythonStr(value));
}

/** `v is version('2.0', '<', version_type='semver')`: positional or keyword arguments, as Python takes them. */
function versionWithKeywords(value: unknown, ...raw: unknown[]): boolean {
  const { args, keywords: k } = callArgs(raw);
  return versionTest(value, args[0] ?? k.version, args[1] ?? k.operator ?? 'eq', args[2] ?? k.strict, args[3] ?? k.version_type);
}

const BOOLEAN_TRUE = ['y', 'yes', 'on', '1', 'true', 't'];
const BOOLEAN_FALSE = ['n', 'no', 'off', '0', 'false', 'f'];

/** Ansible's truthy test: Python's bool(); with convert_bool, a boolean word is that boolean first. */
function pythonTruth(value: unknown, raw: unknown[]): boolean {
  const { args, keywords } = callArgs(raw);
  if (toBool(args[0] ?? keywords.convert_bool ?? false) && typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (BOOLEAN_TRUE.includes(word)) return true;
    if (BOOLEAN_FALSE.includes(word)) return false;
  }
  if (Array.isArray(value)) return value.length > 0;
  if (isDict(value)) return Object.keys(value).length > 0;
  return Boolean(value);
}

/** A task result for the status tests, which refuse anything else in Ansible's words. */
function taskResult(test: string, value: unknown): Dict {
  if (!isDict(value)) throw new Error(`AnsibleFilterError: The '${test}' test expects a dictionary`);
  return value as Dict;
}

/** `is changed`: the result's changed, or (a loop's result without it) any item's. */
function resultChanged(value: unknown): boolean {
  const r = taskResult('changed', value);
  if ('changed' in r) return Boolean(r.changed);
  const items = r.results;
  return Array.isArray(items) && isDict(items[0]) && items.some((item) => isDict(item) && Boolean((item as Dict).changed));
}

const tests: Record<string, (value: any, ...args: any[]) => boolean> = {
  succeeded: (r: unknown) => !taskResult('failed', r).failed,
  success: (r: unknown) => !taskResult('failed', r).failed,
  failed: (r: unknown) => Boolean(taskResult('failed', r).failed),
  failure: (r: unknown) => Boolean(taskResult('failed', r).failed),
  changed: resultChanged,
  skipped: (r: unknown) => Boolean(taskResult('skipped', r).skipped),
  match: (v: unknown, re: string, ...rest: unknown[]) => regexTest(v, re, rest, 'match'),
  search: (v: unknown, re: string, ...rest: unknown[]) => regexTest(v, re, rest, 'search'),
  regex: (v: unknown, re: string, ...rest: unknown[]) => regexTest(v, re, rest, 'search'),
  version: versionWithKeywords,
  version_compare: versionWithKeywords,
  successful: (r: unknown) => !taskResult('failed', r).failed,
  unreachable: (r: unknown) => Boolean(taskResult('unreachable', r).unreachable),
  reachable: (r: unknown) => !taskResult('unreachable', r).unreachable,
  skip: (r: unknown) => Boolean(taskResult('skipped', r).skipped),
  change: resultChanged,
  // An async task's 0 or 1; a task that was not async counts as finished (and started).
  finished: (r: unknown) => (taskResult('finished', r).finished === undefined ? true : Number(taskResult('finished', r).finished) === 1),
  started: (r: unknown) => (taskResult('started', r).started === undefined ? true : Number(taskResult('started', r).started) === 1),
  // Python's `in`: a substring of a string, an equal item of a list, a key of a dict.
  contains: (seq: unknown, item: unknown) =>
    typeof seq === 'string' ? seq.includes(String(item)) : Array.isArray(seq) ? seq.some((x) => pythonEqual(x, item)) : isDict(seq) && String(item) in seq,
  subset: (a: unknown[], b: unknown[]) => a.every((x) => b.some((y) => pythonEqual(x, y))),
  issubset: (a: unknown[], b: unknown[]) => a.every((x) => b.some((y) => pythonEqual(x, y))),
  superset: (a: unknown[], b: unknown[]) => b.every((x) => a.some((y) => pythonEqual(x, y))),
  issuperset: (a: unknown[], b: unknown[]) => b.every((x) => a.some((y) => pythonEqual(x, y))),
  none: (v: unknown) => v === null,
  true: (v: unknown) => v === true,
  false: (v: unknown) => v === false,
  is_dir: (p: unknown) => statOf(p)?.isDirectory() ?? false,
  is_file: (p: unknown) => statOf(p)?.isFile() ?? false,
  is_link: (p: unknown) => lstatOf(p)?.isSymbolicLink() ?? false,
  link_exists: (p: unknown) => lstatOf(p) !== undefined,
  mount: (p: unknown) => isMount(p),
  is_mount: (p: unknown) => isMount(p),
  is_abs: (v: string) => posix.isAbsolute(v),
  is_same_file: (a: unknown, b: unknown) => sameFile(a, b),
  nan: (v: unknown) => typeof v === 'number' && Number.isNaN(v),
  isnan: (v: unknown) => typeof v === 'number' && Number.isNaN(v),
  any: (v: unknown[]) => v.some((x) => Boolean(x)),
  all: (v: unknown[]) => v.every((x) => Boolean(x)),
  sequence: (v: unknown) => Array.isArray(v) || typeof v === 'string' || isDict(v),
  // Paths on the controller, as Ansible's tests read them.
  file: (p: unknown) => statOf(p)?.isFile() ?? false,
  directory: (p: unknown) => statOf(p)?.isDirectory() ?? false,
  link: (p: unknown) => lstatOf(p)?.isSymbolicLink() ?? false,
  exists: (p: unknown) => statOf(p) !== undefined,
  same_file: (a: unknown, b: unknown) => sameFile(a, b),
  boolean: (v: unknown) => typeof v === 'boolean',
  integer: (v: unknown) => typeof v === 'number' && Number.isInteger(v),
  float: (v: unknown) => typeof v === 'number' && !Number.isInteger(v),
  mapping: (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v),
  iterable: (v: unknown) => Array.isArray(v) || typeof v === 'string',
  abs: (v: string) => posix.isAbsolute(v),
  truthy: (v: unknown, ...raw: unknown[]) => pythonTruth(v, raw),
  falsy: (v: unknown, ...raw: unknown[]) => !pythonTruth(v, raw),
};

/** What Python iterates: a list's items, a string's characters, a dict's keys; else Python's TypeError. */
function iterate(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [...v];
  if (isDict(v)) return Object.keys(v);
  throw new Error(
    `'${v === null ? 'NoneType' : typeof v === 'boolean' ? 'bool' : typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'float') : typeof v}' object is not iterable`,
  );
}

/**
 * Ansible's unique: Jinja2's (case-insensitive unless told, by attribute) for items Python can
 * hash; for lists of dicts or lists, the first of each equal value, unless case_sensitive=False or
 * an attribute was asked for, which only Jinja2's can do.
 */
function unique(v: unknown, caseSensitive?: unknown, attribute?: string): unknown[] {
  const items = iterate(v);
  const keys = attribute === undefined ? items : items.map((x) => attr(x, attribute));
  if (!keys.every((x) => x === null || typeof x !== 'object')) {
    if (caseSensitive === false || attribute !== undefined)
      throw new Error("Jinja2's unique filter failed and we cannot fall back to Ansible's version as it does not support the parameters supplied");
    return items.filter((x, i) => items.findIndex((y) => pythonEqual(x, y)) === i);
  }
  const seen: unknown[] = [];
  return items.filter((_x, i) => {
    const k = typeof keys[i] === 'string' && !toBool(caseSensitive ?? false) ? (keys[i] as string).toLowerCase() : keys[i];
    if (seen.some((s) => pythonEqual(s, k))) return false;
    seen.push(k);
    return true;
  });
}

/** Python's `<` for the keys Jinja2 sorts by: numbers and booleans by value, strings by code point. */
function pythonOrder(a: unknown, b: unknown): number {
  const rank = (v: unknown) => (typeof v === 'boolean' ? Number(v) : v);
  const [x, y] = [rank(a), rank(b)];
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  if (typeof x === 'string' && typeof y === 'string') return x < y ? -1 : x > y ? 1 : 0;
  throw new Error(`'<' not supported between instances of '${pythonTypeName(a)}' and '${pythonTypeName(b)}'`);
}

/**
 * Jinja2's groupby: the items sorted by an attribute (case-insensitively unless case_sensitive)
 * and grouped, as (grouper, items) pairs; the grouper as the group's first item has it.
 */
function groupby(v: unknown, attribute: string, fallback: unknown, caseSensitive: boolean): unknown[] {
  const groupValue = (x: unknown) => attr(x, String(attribute)) ?? fallback;
  const keyOf = (x: unknown) => {
    const k = groupValue(x);
    return typeof k === 'string' && !caseSensitive ? k.toLowerCase() : k;
  };
  const sorted = iterate(v)
    .map((item, index) => ({ item, key: keyOf(item), index }))
    .sort((a, b) => pythonOrder(a.key, b.key) || a.index - b.index);
  const groups: { key: unknown; items: unknown[] }[] = [];
  for (const { item, key } of sorted) {
    const last = groups.at(-1);
    if (last && pythonEqual(last.key, key)) last.items.push(item);
    else groups.push({ key, items: [item] });
  }
  return groups.map((g) => tuple(caseSensitive ? g.key : groupValue(g.items[0]), g.items));
}

function selectBy(list: unknown[], keep: boolean, env: Environment, path: string | undefined, testName?: string, ...args: unknown[]) {
  const nunjucksTests = env as unknown as { getTest(n: string): (v: unknown, ...a: unknown[]) => boolean };
  return (list ?? []).filter((item) => {
    const value = path === undefined ? item : attr(item, path);
    const ok = testName ? nunjucksTests.getTest(testName === '==' ? 'equalto' : testName)(value, ...args) : Boolean(value);
    return ok === keep;
  });
}

export function addAnsibleFilters(env: Environment): void {
  const filters: Record<string, (...args: any[]) => unknown> = {
    d: (v: unknown, def: unknown = '', bool = false) => (v === undefined || (bool && !v) ? def : v),
    bool: toBool,
    to_json: (v: unknown, ...raw: unknown[]) => {
      const { keywords } = callArgs(raw);
      return pythonJson(v, { indent: keywords.indent as number | undefined, sortKeys: keywords.sort_keys === true });
    },
    to_nice_json: (v: unknown, ...raw: unknown[]) => {
      const { args, keywords } = callArgs(raw);
      const indent = Number(keywords.indent ?? args[0] ?? 4);
      return pythonJson(v, { indent: Number.isInteger(indent) ? indent : 4, sortKeys: keywords.sort_keys !== false });
    },
    from_json: (v: string) => JSON.parse(v),
    to_yaml: (v: unknown) => toYaml(v),
    to_nice_yaml: (v: unknown, ...raw: unknown[]) => {
      const { args, keywords } = callArgs(raw);
      return toYaml(v, { indent: Number(keywords.indent ?? args[0] ?? 2) });
    },
    from_yaml: (v: string) => fromYaml(v),
    string: pythonStr,
    // Jinja2's, on str() of the value: `true | lower` is 'true', items join as Python prints them.
    lower: (v: unknown) => pythonStr(v ?? '').toLowerCase(),
    upper: (v: unknown) => pythonStr(v ?? '').toUpperCase(),
    join: (v: unknown, sep = '', attribute?: string) =>
      (Array.isArray(v) ? v : typeof v === 'string' ? [...v] : Object.keys(v ?? {}))
        .map((item) => pythonStr(attribute === undefined ? item : attr(item, attribute)))
        .join(String(sep)),
    // Jinja2's: Python's float() of it ('nan' and 'inf' included), else the default.
    float: (v: unknown, fallback = 0) => {
      if (typeof v === 'number') return v;
      if (typeof v === 'boolean') return Number(v);
      const text = String(v).trim().toLowerCase();
      const special: Record<string, number> = { nan: Number.NaN, inf: Number.POSITIVE_INFINITY, infinity: Number.POSITIVE_INFINITY };
      const sign = text.startsWith('-') ? -1 : 1;
      const bare = text.replace(/^[-+]/, '');
      if (bare in special) return sign * special[bare];
      return /^(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/.test(bare.replace(/_/g, '')) ? sign * Number(bare.replace(/_/g, '')) : fallback;
    },
    regex_replace: (v: string, re: string, rep = '', ignorecase = false) =>
      String(v ?? '').replace(pythonRegExp(re, ignorecase ? 'gi' : 'g'), rep.replace(/\\(\d)/g, '$$$1')),
    regex_search: (v: string, re: string) => String(v ?? '').match(pythonRegExp(re))?.[0] ?? null,
    regex_findall: (v: string, re: string) => [...String(v ?? '').matchAll(pythonRegExp(re, 'g'))].map((m) => (m.length > 1 ? m[1] : m[0])),
    regex_escape: (v: string) => regExpLiteral(String(v)),
    basename: (v: string) => posix.basename(String(v)),
    dirname: (v: string) => posix.dirname(String(v)),
    dict2items: (v: Dict, key = 'key', value = 'value') => Object.entries(v ?? {}).map(([k, x]) => ({ [key]: k, [value]: x })),
    items2dict: (v: Dict[], key = 'key', value = 'value') => Object.fromEntries((v ?? []).map((i) => [i[key], i[value]])),
    unique: (v: unknown, ...raw: unknown[]) => {
      const { args, keywords } = callArgs(raw);
      return unique(v, keywords.case_sensitive ?? args[0], (keywords.attribute ?? args[1]) as string | undefined);
    },
    // Jinja2's: Python's `value % args` (or % kwargs).
    format: (v: unknown, ...raw: unknown[]) => {
      const { args, keywords } = callArgs(raw);
      const { __keywords, ...named } = keywords;
      return pythonFormat(pythonStr(v), Object.keys(named).length ? [named] : args);
    },
    groupby: (v: unknown, ...raw: unknown[]) => {
      const { args, keywords } = callArgs(raw);
      return groupby(v, String(keywords.attribute ?? args[0]), keywords.default ?? args[1] ?? null, toBool(keywords.case_sensitive ?? args[2] ?? false));
    },
    union: (a: unknown[], b: unknown[]) => unique([...iterate(a), ...iterate(b)], true),
    intersect: (a: unknown[], b: unknown[]) =>
      unique(
        iterate(a).filter((x) => iterate(b).some((y) => pythonEqual(x, y))),
        true,
      ),
    difference: (a: unknown[], b: unknown[]) =>
      unique(
        iterate(a).filter((x) => !iterate(b).some((y) => pythonEqual(x, y))),
        true,
      ),
    flatten: (v: unknown[], levels = Infinity) => (v ?? []).flat(levels as number),
    min: (v: number[]) => Math.min(...v),
    max: (v: number[]) => Math.max(...v),
    zip: (a: unknown[], ...rest: unknown[][]) => a.map((x, i) => [x, ...rest.map((r) => r[i])]),
    combine: (...dicts: Dict[]) => {
      const recursive = typeof dicts[dicts.length - 1] === 'object' && (dicts[dicts.length - 1] as Dict)?.__keywords ? (dicts.pop() as Dict).recursive : false;
      const merge = (a: Dict, b: Dict): Dict => {
        const out = { ...a };
        for (const [k, v] of Object.entries(b ?? {}))
          out[k] = recursive && v && typeof v === 'object' && !Array.isArray(v) && typeof out[k] === 'object' ? merge(out[k] as Dict, v as Dict) : v;
        return out;
      };
      return dicts.reduce((acc, d) => merge(acc, d), {});
    },
    ternary: (v: unknown, yes: unknown, no: unknown) => (v ? yes : no),
    b64encode: (v: string) => Buffer.from(String(v)).toString('base64'),
    b64decode: (v: string) => Buffer.from(String(v), 'base64').toString('utf8'),
    extract: (key: string | number, container: Dict, morekeys?: string | string[]) =>
      [morekeys ?? []].flat().reduce<unknown>((v, k) => (v as Dict | undefined)?.[k], (container as Dict)?.[key as string]),
    hash: (v: unknown, algorithm = 'sha1') => require('node:crypto').createHash(algorithm).update(String(v)).digest('hex'),
    password_hash: passwordHash,
    quote: (v: unknown) => quote(String(v)),
    mandatory: (v: unknown, msg?: string) => {
      if (v === undefined) throw new Error(msg ?? 'mandatory variable is undefined');
      return v;
    },
    split: (v: string, sep?: string) => (sep === undefined ? String(v).trim().split(/\s+/) : String(v).split(sep)),
    list: (v: unknown) => (Array.isArray(v) ? [...v] : typeof v === 'string' ? [...v] : v && typeof v === 'object' ? Object.keys(v) : [v]),
    map(this: { env: Environment }, list: unknown[], name: string | Dict, ...args: unknown[]) {
      // map(attribute='x') arrives as nunjucks keyword arguments: { attribute: 'x', __keywords: true }.
      if (typeof name === 'object' && name?.attribute !== undefined) return (list ?? []).map((i) => attr(i, String(name.attribute)));
      if (name === 'attribute') return (list ?? []).map((i) => attr(i, String(args[0])));
      const f = (this.env as unknown as { getFilter(n: string): (...a: unknown[]) => unknown }).getFilter(String(name));
      return (list ?? []).map((i) => f.call(this, i, ...args));
    },
    select(this: { env: Environment }, list: unknown[], test?: string, ...args: unknown[]) {
      return selectBy(list, true, this.env, undefined, test, ...args);
    },
    reject(this: { env: Environment }, list: unknown[], test?: string, ...args: unknown[]) {
      return selectBy(list, false, this.env, undefined, test, ...args);
    },
    selectattr(this: { env: Environment }, list: unknown[], path: string, test?: string, ...args: unknown[]) {
      return selectBy(list, true, this.env, path, test, ...args);
    },
    rejectattr(this: { env: Environment }, list: unknown[], path: string, test?: string, ...args: unknown[]) {
      return selectBy(list, false, this.env, path, test, ...args);
    },
    comment: (v: string, style = 'plain') => {
      const prefix = style === 'c' ? '// ' : '# ';
      return `${prefix.trim()}\n${String(v)
        .split('\n')
        .map((l) => prefix + l)
        .join('\n')}\n${prefix.trim()}`;
    },
    type_debug: pythonTypeName,
    version_compare: (a: string, b: string, op?: string) => versionTest(a, b, op),
    // Target of the x[a:b] rewrite in template.ts: Python slice semantics for lists and strings.
    __slice: (v: unknown[] | string, start: number | null, end: number | null) => v?.slice(start ?? 0, end ?? undefined),
  };
  for (const [name, fn] of Object.entries(filters)) env.addFilter(name, fn);
  // @types/nunjucks omits addTest, which nunjucks 3 has.
  const withTests = env as unknown as { addTest(name: string, fn: (...args: any[]) => boolean): void };
  for (const [name, fn] of Object.entries(tests)) withTests.addTest(name, fn);
  withTests.addTest('equalto', (a: unknown, b: unknown) => a === b);
  withTests.addTest('in', (a: unknown, list: unknown[]) => Array.isArray(list) && list.includes(a));
}
