// Ansible's lookups, read on the controller: `lookup()`, `query()`/`q()` and every `with_<name>`
// loop run the same plugin. A plugin takes its terms and keyword options and returns a list, as
// Ansible's do; `lookup()` then joins a list of strings with commas (unless `wantlist=True`),
// `query()` always returns the list.
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync, opendirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { globRegExp } from '../../glob';
import { parseIni } from '../ansible-cfg';
import { toBool } from '../filters';

/** What a lookup may read of the task it is rendered for. */
export interface LookupContext {
  /** A variable's value (rendered), or undefined. */
  variable(name: string): unknown;
  /** Every variable name in scope (varnames). */
  names(): string[];
  /** Renders a template file's text with the task's variables. */
  renderFile(text: string, file: string): string;
  /** Rendering a task ahead of its turn (run/lookahead.ts): a lookup that writes may not run. */
  ahead?: boolean;
}

type Plugin = (terms: unknown[], options: Record<string, unknown>, ctx: LookupContext) => unknown[];

const text = (v: unknown) => String(v);

/**
 * A directory's names in its own order, as Python's glob lists them (Ansible's fileglob does not
 * sort); readdirSync sorts them.
 */
function inDirectoryOrder(dir: string): string[] {
  const handle = opendirSync(dir);
  const names: string[] = [];
  try {
    for (let entry = handle.readSync(); entry; entry = handle.readSync()) names.push(entry.name);
  } finally {
    handle.closeSync();
  }
  return names;
}

/** Python's str.splitlines(): no empty line for a final newline. */
function splitLines(s: string): string[] {
  const lines = s.split(/\r\n|\r|\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** What a shell command on the controller prints (pipe, lines); a failure names it. */
function controllerCommand(term: unknown): string {
  try {
    return execFileSync('/bin/sh', ['-c', text(term)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`lookup: the command '${text(term)}' failed: ${String((err as { stderr?: string }).stderr ?? (err as Error).message).trim()}`);
  }
}

/**
 * Where a relative file is looked for, as Ansible's path_dwim_relative_stack: in each directory of
 * ansible_search_path (the role, the task file's directory) its `sub` dir and itself, then the
 * playbook's.
 */
function searchPaths(ctx: LookupContext, sub: 'files' | 'templates' | 'vars'): string[] {
  const stack = ctx.variable('ansible_search_path');
  const dirs = [...(Array.isArray(stack) ? stack : [ctx.variable('role_path')]), ctx.variable('playbook_dir')].filter(
    (d): d is string => typeof d === 'string',
  );
  return [...new Set(dirs)].flatMap((d) => [join(d, sub), d]);
}

function findFile(name: string, ctx: LookupContext, sub: 'files' | 'templates' | 'vars'): string | undefined {
  if (isAbsolute(name)) return existsSync(name) ? name : undefined;
  return searchPaths(ctx, sub)
    .map((d) => join(d, name))
    .find((p) => existsSync(p));
}

function required(name: string, ctx: LookupContext, sub: 'files' | 'templates' | 'vars', lookupName: string): string {
  const found = findFile(name, ctx, sub);
  if (!found) throw new Error(`lookup('${lookupName}'): could not find '${name}' (looked in ${searchPaths(ctx, sub).join(', ') || 'the working directory'})`);
  return found;
}

/** `key=value` words of an old-style term (sequence, csv-like lookups). */
function keyValues(term: string): Record<string, string> {
  return Object.fromEntries(
    term
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((w) => {
        const at = w.indexOf('=');
        return at < 0 ? [w, ''] : [w.slice(0, at), w.slice(at + 1)];
      }),
  );
}

/** Python's %-format for one integer (sequence's `format`): %d, %i, %x, %o, %s with width and padding. */
function printf(format: string, n: number): string {
  return format.replace(/%([-0 ]*)(\d*)([dixXos%])/g, (_all, flags: string, width: string, conv: string) => {
    if (conv === '%') return '%';
    let s = conv === 'x' ? n.toString(16) : conv === 'X' ? n.toString(16).toUpperCase() : conv === 'o' ? n.toString(8) : String(n);
    const w = Number(width || 0);
    if (s.length < w) s = flags.includes('-') ? s.padEnd(w) : flags.includes('0') ? s.padStart(w, '0') : s.padStart(w);
    return s;
  });
}

function sequence(term: string): string[] {
  const shortcut = /^\s*(?:(0x[0-9a-f]+|0o?[0-7]+|\d+)-)?(0x[0-9a-f]+|0o?[0-7]+|\d+)(?:\/(\d+))?(?::(.+))?\s*$/i.exec(term);
  let opts: Record<string, string>;
  if (shortcut && !term.includes('=')) {
    opts = { start: shortcut[1] ?? '1', end: shortcut[2], stride: shortcut[3] ?? '1', format: shortcut[4] ?? '%d' };
  } else opts = keyValues(term);
  const num = (v: string | undefined, fallback: number) => (v === undefined ? fallback : Number.parseInt(v, /^0x/i.test(v) ? 16 : /^0o/i.test(v) ? 8 : 10));
  const start = num(opts.start, 1);
  const stride = num(opts.stride, 1);
  if (opts.count !== undefined && opts.end !== undefined) throw new Error("lookup('sequence'): can't use both count and end");
  const end = opts.count !== undefined ? start + (num(opts.count, 0) - 1) * stride : num(opts.end, Number.NaN);
  if (Number.isNaN(end)) throw new Error(`lookup('sequence'): must specify count or end in '${term}'`);
  if (stride === 0 && end !== start) throw new Error("lookup('sequence'): stride of 0 with a range");
  const out: string[] = [];
  if (opts.count !== undefined && num(opts.count, 0) === 0) return out;
  if ((stride > 0 && end < start) || (stride < 0 && end > start)) throw new Error(`lookup('sequence'): to count backwards make stride negative (${term})`);
  for (let i = start; stride > 0 ? i <= end : stride < 0 ? i >= end : i === start; i += stride || 1) out.push(printf(opts.format ?? '%d', i));
  return out;
}

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function product(lists: unknown[][]): unknown[][] {
  return lists.reduce<unknown[][]>((acc, list) => acc.flatMap((row) => list.map((x) => [...row, x])), [[]]);
}

/** The lists of nested/together: each term a list (a bare string names a variable, as in old Ansible). */
function listsOf(terms: unknown[], ctx: LookupContext): unknown[][] {
  return terms.map((t) => {
    const v = typeof t === 'string' && ctx.variable(t) !== undefined ? ctx.variable(t) : t;
    return Array.isArray(v) ? v : [v];
  });
}

function subelements(terms: unknown[]): unknown[] {
  const [list, key, flags] = terms as [unknown, unknown, unknown];
  if (typeof key !== 'string') throw new Error("lookup('subelements'): the second term is the name of a subelement");
  const skipMissing = isMapping(flags) && flags.skip_missing === true;
  const elements = isMapping(list) ? Object.values(list) : Array.isArray(list) ? list : [];
  const out: unknown[] = [];
  const path = key.split('.');
  for (const element of elements) {
    // As Ansible's: the element comes without its subelement key (a copy; the variable keeps it).
    const copy = structuredClone(element);
    let holder: unknown = copy;
    for (const part of path.slice(0, -1)) holder = isMapping(holder) ? holder[part] : undefined;
    const last = path[path.length - 1];
    if (!isMapping(holder) || !(last in holder)) {
      if (skipMissing) continue;
      throw new Error(`lookup('subelements'): could not find '${key}' in ${JSON.stringify(element)}`);
    }
    const value = holder[last];
    delete holder[last];
    if (!Array.isArray(value)) throw new Error(`lookup('subelements'): the key '${key}' should point to a list`);
    for (const sub of value) out.push([copy, sub]);
  }
  return out;
}

function firstFound(terms: unknown[], options: Record<string, unknown>, ctx: LookupContext): unknown[] {
  const files: string[] = [];
  const paths: string[] = [];
  let skip = options.skip === true;
  const split = (v: unknown) => [v].flat().flatMap((s) => String(s).split(/[,;]/).filter(Boolean));
  for (const term of terms.flat()) {
    if (isMapping(term)) {
      files.push(...split(term.files ?? []));
      paths.push(...split(term.paths ?? []));
      if (term.skip === true) skip = true;
    } else files.push(...split(term));
  }
  files.push(...split(options.files ?? []));
  paths.push(...split(options.paths ?? []));
  const candidates = paths.length ? paths.flatMap((p) => files.map((f) => join(p, f))) : files;
  for (const candidate of candidates) {
    const found = findFile(candidate, ctx, 'files');
    if (found) return [found];
  }
  if (skip) return [];
  throw new Error(`lookup('first_found'): none of ${candidates.join(', ')} was found`);
}

/** Python's string constants, as the password lookup's `chars` names them. */
const CHAR_SETS: Record<string, string> = {
  ascii_letters: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ',
  ascii_lowercase: 'abcdefghijklmnopqrstuvwxyz',
  ascii_uppercase: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  digits: '0123456789',
  hexdigits: '0123456789abcdefABCDEF',
  octdigits: '01234567',
  punctuation: '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~',
};

/** `chars=ascii_letters,digits,-_`: names of sets or the characters themselves; `,,` is a comma. */
function passwordChars(spec: string | undefined): string {
  // As Ansible reads it: `,,` adds a comma; then the names and characters between commas.
  const items =
    spec === undefined ? ['ascii_letters', 'digits', '.,:-_'] : [...(spec.includes(',,') ? [','] : []), ...spec.replace(/,,/g, ',').split(',').filter(Boolean)];
  return [...new Set(items.flatMap((item) => [...(CHAR_SETS[item] ?? item)]))].join('');
}

/**
 * Ansible's password lookup: the file's password (its first word; a `salt=` after it is the
 * file's too), or a new random one written to the file (0600, its directory made 0700) and
 * returned; `/dev/null` keeps nothing. A relative path is the playbook directory's.
 */
function password(terms: unknown[], options: Record<string, unknown>, ctx: LookupContext): unknown[] {
  return terms.map((t) => {
    const [path, ...words] = text(t).trim().split(/\s+/);
    const params = { ...keyValues(words.join(' ')), ...Object.fromEntries(Object.entries(options).map(([k, v]) => [k, String(v)])) };
    if (params.encrypt !== undefined) throw new Error("lookup('password'): encrypt= is not supported by this engine; hash the password with password_hash");
    const file = isAbsolute(path) ? path : join(String(ctx.variable('playbook_dir') ?? process.cwd()), path);
    if (path !== '/dev/null' && existsSync(file))
      return readFileSync(file, 'utf8')
        .trim()
        .split(/\s+salt=/)[0];
    if (ctx.ahead) throw new Error("lookup('password') writes its file: not rendered ahead of its task");
    const length = Number(params.length ?? 20);
    if (!Number.isInteger(length) || length < 1) throw new Error(`lookup('password'): length must be a positive whole number, got '${params.length}'`);
    const chars = passwordChars(params.chars);
    const made = Array.from({ length }, () => chars[randomInt(chars.length)]).join('');
    if (path !== '/dev/null') {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, `${made}\n`, { mode: 0o600 });
    }
    return made;
  });
}

/** configparser's basic interpolation: `%(name)s` from the section (or DEFAULT), `%%` a percent sign. */
function interpolated(value: string, section: Map<string, string | null>, defaults: Map<string, string | null> | undefined, depth = 0): string {
  return value.replace(/%%|%\(([^)]+)\)s/g, (whole, name: string | undefined) => {
    if (whole === '%%') return '%';
    const found = section.get(name!.toLowerCase()) ?? defaults?.get(name!.toLowerCase());
    if (found === undefined || found === null || depth > 10) throw new Error(`lookup('ini'): bad interpolation of '%(${name})s'`);
    return interpolated(found, section, defaults, depth + 1);
  });
}

const INI_OPTIONS = ['file', 'section', 're', 'default', 'type', 'encoding', 'case_sensitive', 'allow_no_value', 'allow_none'];

/**
 * Ansible's ini lookup: a key's value in a section of an INI file (configparser's rules, keys
 * case-insensitive unless case_sensitive), or every value whose key matches with `re=True`;
 * `type=properties` reads a Java properties file. Options inline (`key section=s file=f`) or as
 * keywords.
 */
function ini(terms: unknown[], options: Record<string, unknown>, ctx: LookupContext): unknown[] {
  return terms.flatMap((t) => {
    const [first, ...words] = text(t).trim().split(/\s+/);
    const inline = keyValues(words.join(' '));
    const params: Record<string, unknown> = {
      file: 'ansible.ini',
      section: 'global',
      re: false,
      default: '',
      type: 'ini',
      case_sensitive: false,
      ...options,
      ...inline,
    };
    for (const name of Object.keys(inline)) if (!INI_OPTIONS.includes(name)) throw new Error(`lookup('ini'): ${name} is not a valid option`);
    const file = required(String(params.file), ctx, 'files', 'ini');
    const properties = params.type === 'properties';
    const section = properties ? 'java_properties' : String(params.section);
    const content = `${properties ? '[java_properties]\n' : ''}${readFileSync(file, 'utf8')}`;
    const sections = parseIni(content, file, {
      caseSensitive: toBool(params.case_sensitive),
      allowNoValue: toBool(params.allow_no_value ?? params.allow_none),
    });
    const found = sections.get(section);
    if (!found) throw new Error(`lookup('ini'): No section '${section}' in ${String(params.file)}`);
    // As configparser's: a section's keys fall back on those of DEFAULT.
    const defaults = sections.get('DEFAULT');
    const all = new Map([...(defaults ?? []), ...found]);
    const value = (v: string | null) => (v === null ? null : interpolated(v, found, defaults));
    if (toBool(params.re)) {
      const re = new RegExp(`^(?:${first})`);
      return [...all.entries()].filter(([k]) => re.test(k)).map(([, v]) => value(v));
    }
    const key = toBool(params.case_sensitive) ? first : first.toLowerCase();
    return all.has(key) ? [value(all.get(key)!)] : [params.default];
  });
}

const PLUGINS: Record<string, Plugin> = {
  password,
  ini,
  env: (terms, options) => terms.map((t) => process.env[text(t)] ?? (options.default as string | undefined) ?? ''),
  file: (terms, options, ctx) =>
    terms.map((t) => {
      const content = readFileSync(required(text(t), ctx, 'files', 'file'), 'utf8');
      return options.rstrip === false ? content : content.replace(/\s+$/, '');
    }),
  fileglob: (terms, _o, ctx) =>
    terms.flatMap((t) => {
      const pattern = text(t);
      const dir = isAbsolute(pattern) ? dirname(pattern) : (findFile(dirname(pattern), ctx, 'files') ?? dirname(pattern));
      const re = globRegExp(basename(pattern));
      return existsSync(dir)
        ? inDirectoryOrder(dir)
            .filter((f) => re.test(f))
            .map((f) => join(dir, f))
        : [];
    }),
  first_found: firstFound,
  template: (terms, _o, ctx) =>
    terms.map((t) => {
      const file = required(text(t), ctx, 'templates', 'template');
      return ctx.renderFile(readFileSync(file, 'utf8'), file);
    }),
  // Runs on the controller, as Ansible's does: the text of what the command prints.
  pipe: (terms) => terms.map((t) => controllerCommand(t).replace(/\s+$/, '')),
  lines: (terms) => terms.flatMap((t) => splitLines(controllerCommand(t))),
  vars: (terms, options, ctx) =>
    terms.map((t) => {
      const value = ctx.variable(text(t));
      if (value !== undefined) return value;
      if ('default' in options) return options.default;
      throw new Error(`lookup('vars'): no variable named '${text(t)}'`);
    }),
  // Python's re.match: from the start of the name.
  varnames: (terms, _o, ctx) => terms.flatMap((t) => ctx.names().filter((n) => new RegExp(`^(?:${text(t)})`).test(n))),
  items: (terms) => terms.flatMap((t) => (Array.isArray(t) ? t : [t])),
  list: (terms) => terms,
  indexed_items: (terms) => terms.flatMap((t) => (Array.isArray(t) ? t : [t])).map((t, i) => [i, t]),
  dict: (terms) =>
    terms.flatMap((t) => {
      if (!isMapping(t)) throw new Error(`lookup('dict') expects a mapping, got ${JSON.stringify(t)}`);
      return Object.entries(t).map(([key, value]) => ({ key, value }));
    }),
  sequence: (terms) => terms.flatMap((t) => sequence(text(t))),
  nested: (terms, _o, ctx) => product(listsOf(terms, ctx)),
  cartesian: (terms, _o, ctx) => product(listsOf(terms, ctx)),
  together: (terms, _o, ctx) => {
    const lists = listsOf(terms, ctx);
    if (!lists.length) throw new Error('with_together requires at least one element in each list');
    const longest = Math.max(0, ...lists.map((l) => l.length));
    return Array.from({ length: longest }, (_v, i) => lists.map((l) => (i < l.length ? l[i] : null)));
  },
  subelements,
  random_choice: (terms) => (terms.length ? [terms[randomInt(terms.length)]] : []),
  inventory_hostnames: (terms, _o, ctx) => {
    const groups = (ctx.variable('groups') ?? {}) as Record<string, string[]>;
    const wanted = terms.flatMap((t) => text(t).split(/[:,]/));
    return [...new Set(wanted.flatMap((p) => groups[p] ?? (Object.values(groups).flat().includes(p) ? [p] : [])))];
  },
};

/** The names of the lookups the engine has. */
export const lookupNames = Object.keys(PLUGINS);

/** Runs a lookup plugin: always a list. */
export function runLookup(name: string, terms: unknown[], options: Record<string, unknown>, ctx: LookupContext): unknown[] {
  const short = name.replace(/^ansible\.builtin\./, '');
  const plugin = PLUGINS[short];
  if (!plugin) throw new Error(`lookup('${name}') is not one of the engine's lookups (${lookupNames.join(', ')})`);
  return plugin(terms, options, ctx);
}

/**
 * `query()`: the list; with errors='ignore' or 'warn', a failing lookup is [] (undefined here, so
 * that lookup() can tell it apart and give None), as Ansible's.
 */
function queryValue(name: string, terms: unknown[], options: Record<string, unknown>, ctx: LookupContext): unknown[] | undefined {
  const { errors, ...rest } = options;
  try {
    return runLookup(name, terms, rest, ctx);
  } catch (err) {
    if (errors === 'ignore' || errors === 'warn') return undefined;
    throw err;
  }
}

export function queryList(name: string, terms: unknown[], options: Record<string, unknown>, ctx: LookupContext): unknown[] {
  return queryValue(name, terms, options, ctx) ?? [];
}

/** `lookup()`: the list, or (without wantlist) its strings joined by commas, as Ansible's. */
export function lookupValue(name: string, terms: unknown[], options: Record<string, unknown>, ctx: LookupContext): unknown {
  const { wantlist, ...rest } = options;
  const found = queryValue(name, terms, rest, ctx);
  if (found === undefined) return wantlist === true ? [] : null;
  if (wantlist === true) return found;
  if (found.every((v) => typeof v === 'string')) return found.join(',');
  return found.length === 1 ? found[0] : found;
}
