// Python's methods on str, list and dict, as Ansible content calls them in Jinja2
// (`fqdn.endswith('.' ~ domain)`, `d.items()`, `line.split()`). nunjucks looks a member up on the
// JavaScript value, where these are missing or mean something else (JS `replace` replaces only the
// first match, `split()` without a separator does not split). A dict's own key comes before a
// method of the same name: nunjucks compiles `d.items` and `d['items']` alike, and Jinja2 reads
// the key for the second, which is how Ansible content reaches such keys.

import { callArgs } from '../filters';
import { isDict, pythonStr } from './pyrepr';

type Method = (self: any, ...args: any[]) => unknown;

const WHITESPACE = ' \t\n\r\v\f';

function stripChars(s: string, chars: string | undefined, left: boolean, right: boolean): string {
  const set = chars ?? WHITESPACE;
  let start = 0;
  let end = s.length;
  if (left) while (start < end && set.includes(s[start])) start++;
  if (right) while (end > start && set.includes(s[end - 1])) end--;
  return s.slice(start, end);
}

/** str.split: no separator splits on runs of whitespace and drops empty ends; maxsplit as Python's. */
function split(s: string, sep?: string | null, maxsplit = -1): string[] {
  if (sep === undefined || sep === null) {
    const words: string[] = [];
    let rest = stripChars(s, undefined, true, false);
    while (rest) {
      if (maxsplit >= 0 && words.length === maxsplit) return [...words, rest];
      const m = /[ \t\n\r\v\f]+/.exec(rest);
      if (!m) return [...words, rest];
      words.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    return words;
  }
  if (sep === '') throw new Error('split(): empty separator');
  const parts = s.split(sep);
  return maxsplit < 0 || parts.length <= maxsplit + 1 ? parts : [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(sep)];
}

const anyOf = (prefix: string | string[], test: (p: string) => boolean) => (Array.isArray(prefix) ? prefix : [prefix]).some(test);

/** str.format with positional `{}` / `{0}` and named `{name}` fields (no format specs). */
function format(s: string, ...raw: unknown[]): string {
  const { args, keywords: named } = callArgs(raw);
  let next = 0;
  return s.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (whole, field: string | undefined) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    const key = field ?? '';
    const value = key === '' ? args[next++] : /^\d+$/.test(key) ? args[Number(key)] : named[key];
    return pythonStr(value);
  });
}

const STR: Record<string, Method> = {
  startswith: (s: string, prefix, start = 0) => anyOf(prefix, (p) => s.startsWith(p, start)),
  endswith: (s: string, suffix) => anyOf(suffix, (p) => s.endsWith(p)),
  strip: (s: string, chars) => stripChars(s, chars ?? undefined, true, true),
  lstrip: (s: string, chars) => stripChars(s, chars ?? undefined, true, false),
  rstrip: (s: string, chars) => stripChars(s, chars ?? undefined, false, true),
  lower: (s: string) => s.toLowerCase(),
  upper: (s: string) => s.toUpperCase(),
  capitalize: (s: string) => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase(),
  title: (s: string) => s.toLowerCase().replace(/(^|[^a-zA-Z])([a-z])/g, (_, before, c) => before + c.toUpperCase()),
  split: (s: string, ...args) => split(s, ...(callArgs(args).args as [string?, number?])),
  splitlines: (s: string) => s.split(/\r\n|\r|\n/).filter((line, i, all) => i < all.length - 1 || line !== ''),
  replace: (s: string, old: string, replacement: string, count = -1) => (count < 0 ? s.split(old).join(replacement) : split(s, old, count).join(replacement)),
  join: (s: string, items: unknown[]) => [...items].map(pythonStr).join(s),
  find: (s: string, sub: string) => s.indexOf(sub),
  count: (s: string, sub: string) => (sub === '' ? s.length + 1 : s.split(sub).length - 1),
  isdigit: (s: string) => /^[0-9]+$/.test(s),
  isalpha: (s: string) => /^[a-zA-Z]+$/.test(s),
  format,
};

const LIST: Record<string, Method> = {
  index: (l: unknown[], x) => {
    const i = l.indexOf(x);
    if (i < 0) throw new Error(`${JSON.stringify(x)} is not in list`);
    return i;
  },
  count: (l: unknown[], x) => l.filter((v) => v === x).length,
  append: (l: unknown[], x) => {
    l.push(x);
    return null;
  },
  extend: (l: unknown[], xs: unknown[]) => {
    l.push(...xs);
    return null;
  },
};

const DICT: Record<string, Method> = {
  items: (d: Record<string, unknown>) => Object.entries(d),
  keys: (d: Record<string, unknown>) => Object.keys(d),
  values: (d: Record<string, unknown>) => Object.values(d),
  get: (d: Record<string, unknown>, key: string, fallback = null) => (Object.hasOwn(d, key) ? d[key] : fallback),
};

/** The Python method `name` of `value`, bound to it; undefined when it has none. */
export function pythonMethod(value: unknown, name: string): ((...args: unknown[]) => unknown) | undefined {
  const table = typeof value === 'string' ? STR : Array.isArray(value) ? LIST : isDict(value) && !Object.hasOwn(value, name) ? DICT : undefined;
  const method = table && Object.hasOwn(table, name) ? table[name] : undefined;
  return method && ((...args: unknown[]) => method(value, ...args));
}
