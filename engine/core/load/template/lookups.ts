// Ansible's lookups, read on the controller: `lookup()`, `query()`/`q()` and every `with_<name>`
// loop run the same plugin. A plugin takes its terms and keyword options and returns a list, as
// Ansible's do; `lookup()` then joins a list of strings with commas (unless `wantlist=True`),
// `query()` always returns the list.
import { execFileSync } from 'node:child_process';
import { createHash, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, opendirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { ansibleCore, ansibleHasLookup } from '../../ansible-core';
import { LookupError } from '../../errors';
import { globRegExp } from '../../glob';
import { PROJECT_ROOT } from '../../paths';
import { regExpLiteral } from '../../pyregex';
import { parseIni } from '../ansible-cfg';
import { passwordHash, toBool } from '../filters';
import { pythonRegExp } from '../../pyregex';
import { pythonFormat } from './pyformat';
import { asPythonLiteral, pythonStr, pythonTypeName, tuple } from './pyrepr';

/** What a lookup may read of the task it is rendered for. */
export interface LookupContext {
  /** A variable's value (rendered), or undefined. */
  variable(name: string): unknown;
  /** Every variable name in scope (varnames). */
  names(): string[];
  /** Every variable in scope that renders, as plain data (for Ansible's own lookups). */
  data(): Record<string, unknown>;
  /** Renders a template file's text with the task's variables. */
  renderFile(text: string, file: string): string;
  /** Rendering a task ahead of its turn (run/lookahead.ts): a lookup that writes may not run. */
  ahead?: boolean;
  /** A lookup wrote on the controller (password): what was read of its files before is stale. */
  wrote?(): void;
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

/** Python's `int(text, 0)`: decimal (no leading zero), 0x, 0o or 0b, underscores between digits. */
function pythonInt(text: string): number | undefined {
  const t = text.trim();
  const m = /^([+-]?)(?:(0[xX](?:_?[0-9a-fA-F])+)|(0[oO](?:_?[0-7])+)|(0[bB](?:_?[01])+)|([1-9](?:_?\d)*|0+(?:_?0)*))$/.exec(t);
  if (!m) return undefined;
  const digits = (m[2] ?? m[3] ?? m[4] ?? m[5]).replace(/_/g, '');
  const value = m[5] !== undefined ? Number.parseInt(digits, 10) : Number(digits.toLowerCase());
  return m[1] === '-' ? -value : value;
}

/** One term of Ansible's sequence lookup: `[start-]end[/stride][:format]` or start=, end=, count=, stride=, format=. */
function sequence(term: string): string[] {
  const o: { start: number; end?: number; count?: number; stride: number; format: string } = { start: 1, stride: 1, format: '%d' };
  const integer = (name: string, raw: string) => {
    const n = pythonInt(raw);
    if (n === undefined) throw new LookupError(`can't parse ${name}=${raw} as integer`);
    return n;
  };
  const shortcut = /^(?:(0?x?[0-9a-f]+)-)?(0?x?[0-9a-f]+)(?:\/(0?x?[0-9a-f]+))?(?::(.+))?$/is.exec(term);
  if (shortcut) {
    if (shortcut[1] !== undefined) o.start = integer('start', shortcut[1]);
    o.end = integer('end', shortcut[2]);
    if (shortcut[3] !== undefined) o.stride = integer('stride', shortcut[3]);
    if (shortcut[4] !== undefined) o.format = shortcut[4];
  } else {
    const args = keyValues(term);
    for (const name of ['start', 'end', 'count', 'stride'] as const) {
      if (args[name] === undefined) continue;
      o[name] = integer(name, args[name]);
      delete args[name];
    }
    if (args.format !== undefined) o.format = args.format;
    delete args.format;
    const unknown = Object.keys(args);
    if (unknown.length) throw new LookupError(`unrecognized arguments to with_sequence: [${unknown.map((k) => `'${k}'`).join(', ')}]`);
  }
  if (o.count === undefined && o.end === undefined) throw new LookupError('must specify count or end in with_sequence');
  if (o.count !== undefined && o.end !== undefined) throw new LookupError("can't specify both count and end in with_sequence");
  if (o.count !== undefined) {
    if (o.count !== 0) o.end = o.start + o.count * o.stride - 1;
    else Object.assign(o, { start: 0, end: 0, stride: 0 });
  }
  const end = o.end as number;
  if (o.stride > 0 && end < o.start) throw new LookupError('to count backwards make stride negative');
  if (o.stride < 0 && end > o.start) throw new LookupError("to count forward don't make stride negative");
  if (o.format.split('%').length !== 2) throw new LookupError(`bad formatting string: ${o.format}`);
  const out: string[] = [];
  // Python's range(start, end + adjust, stride); a stride of 0 gives nothing.
  const stop = end + (o.stride >= 0 ? 1 : -1);
  for (let i = o.start; o.stride > 0 ? i < stop : o.stride < 0 ? i > stop : false; i += o.stride) {
    try {
      out.push(pythonFormat(o.format, [i]));
    } catch {
      throw new LookupError(`problem formatting ${i} with '${o.format}'`);
    }
  }
  return out;
}

const DELIMITERS = [
  ['variable_start_string', '{{'],
  ['variable_end_string', '}}'],
  ['block_start_string', '{%'],
  ['block_end_string', '%}'],
  ['comment_start_string', '{#'],
  ['comment_end_string', '#}'],
] as const;

/**
 * A template written with other delimiters (the template lookup's variable_start_string=...) in
 * Jinja2's own: each custom delimiter becomes the standard one, and a standard one that is text
 * there stays text.
 */
function withStandardDelimiters(source: string, options: Record<string, unknown>): string {
  const custom = DELIMITERS.filter(([option, standard]) => options[option] !== undefined && options[option] !== standard).map(
    ([option, standard]) => [String(options[option]), standard] as const,
  );
  if (!custom.length) return source;
  const words = [...custom.map(([from]) => from), ...DELIMITERS.map(([, standard]) => standard)];
  const pattern = new RegExp(words.map(regExpLiteral).join('|'), 'g');
  return source.replace(pattern, (found) => custom.find(([from]) => from === found)?.[1] ?? `{{ '${found}' }}`);
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

/** Ansible's subelements: each element of a list (or a dict's values) paired with each item of its list at `key` (dotted). */
function subelements(terms: unknown[]): unknown[] {
  const termsError = (why = '') => new LookupError(`subelements lookup expects a list of two or three items, ${why}`);
  if (terms.length < 2 || terms.length > 3) throw termsError();
  const [first, key, flags = {}] = terms;
  // As Ansible's listify: a single value is a list of one.
  const list = Array.isArray(first) || isMapping(first) ? first : [first];
  if (typeof key !== 'string') throw termsError('first a dict or a list, second a string pointing to the subkey');
  if (isMapping(list) && list.skipped !== undefined && list.skipped !== false) return [];
  if (!isMapping(flags) && !(typeof flags === 'string' ? [...flags] : [flags]).every((f) => f === 'skip_missing'))
    throw termsError("the optional third item must be a dict with flags ['skip_missing']");
  const skipMissing = isMapping(flags) && toBool(flags.skip_missing ?? false);
  const path = key.split('.');
  const out: unknown[] = [];
  for (const element of isMapping(list) ? Object.values(list) : list) {
    if (!isMapping(element)) throw new LookupError(`subelements lookup expects a dictionary, got '${pythonStr(element)}'`);
    if (element.skipped !== undefined && element.skipped !== false) continue;
    // The element comes without its subelement key (a copy: the variable keeps it).
    const copy = structuredClone(element);
    let holder: Record<string, unknown> = copy;
    let sublist: unknown[] = [];
    for (const [index, part] of path.entries()) {
      if (!(part in holder)) {
        if (skipMissing) continue;
        throw new LookupError(`could not find '${part}' key in iterated item '${pythonStr(holder)}'`);
      }
      const value = holder[part];
      if (index < path.length - 1) {
        if (isMapping(value)) holder = value;
        else if (!skipMissing) throw new LookupError(`the key ${part} should point to a dictionary, got '${pythonStr(value)}'`);
      } else if (!Array.isArray(value)) throw new LookupError(`the key ${part} should point to a list, got '${pythonStr(value)}'`);
      else {
        sublist = value;
        delete holder[part];
      }
    }
    for (const sub of sublist) out.push([copy, sub]);
  }
  return out;
}

/** Ansible's _split_on: strings split on any of the characters, lists flattened. */
function splitOn(value: unknown, separators: string): string[] {
  if (typeof value === 'string') return value.split(new RegExp(`[${separators}]`)).filter(Boolean);
  return Array.isArray(value) ? value.flatMap((v) => splitOn(v, separators)) : [];
}

/**
 * Ansible's first_found: the first file of the candidates that exists (searched as file lookups
 * are). A term is a name, a list of terms, or a mapping of files/paths/skip; names in `files` split
 * on `,;` and in `paths` on `,:;`, every path joined with every file. Its quirks are Ansible's:
 * a term's `files` without `paths` replace the candidates found so far, and a name given with
 * the files= option is not itself a candidate.
 */
function firstFound(terms: unknown[], options: Record<string, unknown>, ctx: LookupContext): unknown[] {
  let candidates: string[] = [];
  let skip = false;
  const visit = (list: unknown[]) => {
    for (const term of list) {
      if (Array.isArray(term)) {
        visit(term);
        continue;
      }
      if (!isMapping(term) && typeof term !== 'string')
        throw new LookupError(
          `Invalid term supplied, can handle string, mapping or list of strings but got: <class '${pythonTypeName(term)}'> for ${pythonStr(term)}`,
        );
      const set = isMapping(term) ? term : options;
      const files = splitOn(set.files ?? [], ',;');
      const paths = splitOn(set.paths ?? [], ',:;');
      skip = toBool(set.skip ?? false);
      if (paths.length) candidates.push(...paths.flatMap((p) => files.map((f) => (isAbsolute(f) ? f : join(p, f)))));
      else if (files.length) candidates = files;
      else candidates.push(String(term));
    }
  };
  visit(terms);
  for (const candidate of candidates) {
    const found = findFile(candidate, ctx, 'files');
    if (found) return [found];
  }
  if (skip) return [];
  throw new LookupError('No file was found when using first_found.', 'ansible.errors.AnsibleLookupError');
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

/** passlib's names of the crypt(3) schemes the password lookup's encrypt= takes, with their salt sizes. */
const ENCRYPT_SCHEMES: Record<string, { scheme: string; saltSize: number }> = {
  sha512_crypt: { scheme: 'sha512', saltSize: 16 },
  sha256_crypt: { scheme: 'sha256', saltSize: 16 },
  md5_crypt: { scheme: 'md5', saltSize: 8 },
};

/** Random characters of a set; with a seed, the same ones every time (Ansible's seed=). */
function randomText(length: number, chars: string, seed?: string): string {
  if (seed === undefined) return Array.from({ length }, () => chars[randomInt(chars.length)]).join('');
  const bytes: number[] = [];
  for (let block = 0; bytes.length < length * 4; block++) bytes.push(...createHash('sha256').update(`${seed}\0${block}`).digest());
  return Array.from({ length }, (_v, i) => chars[Buffer.from(bytes.slice(i * 4, i * 4 + 4)).readUInt32BE() % chars.length]).join('');
}

/** A password file's content: the password, then ` salt=` and the salt when it was hashed. */
function passwordFileContent(file: string): { plain: string; salt?: string } {
  const content = readFileSync(file, 'utf8').trimEnd();
  const at = content.lastIndexOf(' salt=');
  return at < 0 ? { plain: content } : { plain: content.slice(0, at), salt: content.slice(at + 6) };
}

/**
 * Ansible's password lookup: the file's password, or a new random one written to the file (0600,
 * its directory made 0700) and returned; `/dev/null` keeps nothing. With encrypt= (a crypt
 * scheme), the file keeps the password and a salt, and the lookup gives the hash. A relative
 * path is the playbook directory's.
 */
function password(terms: unknown[], options: Record<string, unknown>, ctx: LookupContext): unknown[] {
  return terms.map((t) => {
    const [path, ...words] = text(t).trim().split(/\s+/);
    const params = { ...keyValues(words.join(' ')), ...Object.fromEntries(Object.entries(options).map(([k, v]) => [k, String(v)])) };
    const encrypt = params.encrypt || undefined;
    if (encrypt !== undefined && !ENCRYPT_SCHEMES[encrypt])
      throw new LookupError(`encrypt=${encrypt} is not one of the schemes the engine hashes (${Object.keys(ENCRYPT_SCHEMES).join(', ')})`);
    const file = isAbsolute(path) ? path : join(String(ctx.variable('playbook_dir') ?? process.cwd()), path);
    const kept = path !== '/dev/null' && existsSync(file);
    const length = Number(params.length ?? 20);
    if (!Number.isInteger(length) || length < 1) throw new LookupError(`length must be a positive whole number, got '${params.length}'`);
    let { plain, salt } = kept ? passwordFileContent(file) : { plain: randomText(length, passwordChars(params.chars), params.seed), salt: undefined };
    let changed = !kept;
    if (encrypt !== undefined && salt === undefined) {
      salt = randomText(ENCRYPT_SCHEMES[encrypt].saltSize, `${CHAR_SETS.ascii_letters}${CHAR_SETS.digits}./`);
      changed = true;
    }
    if (changed && path !== '/dev/null') {
      if (ctx.ahead) throw new Error("lookup('password') writes its file: not rendered ahead of its task");
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, `${salt === undefined ? plain : `${plain} salt=${salt}`}\n`, { mode: 0o600 });
      ctx.wrote?.();
    }
    return encrypt === undefined ? plain : passwordHash(plain, ENCRYPT_SCHEMES[encrypt].scheme, salt);
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
      const leftStripped = toBool(options.lstrip ?? false) ? content.replace(/^\s+/, '') : content;
      return toBool(options.rstrip ?? true) ? leftStripped.replace(/\s+$/, '') : leftStripped;
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
  template: (terms, options, ctx) =>
    terms.map((t) => {
      const file = required(text(t), ctx, 'templates', 'template');
      const out = ctx.renderFile(withStandardDelimiters(readFileSync(file, 'utf8'), options), file);
      // As Ansible's convert_data: text that reads as a Python literal is that value.
      return options.convert_data === false ? out : asPythonLiteral(out);
    }),
  // Runs on the controller, as Ansible's does: the text of what the command prints.
  pipe: (terms) => terms.map((t) => controllerCommand(t).replace(/\s+$/, '')),
  lines: (terms) => terms.flatMap((t) => splitLines(controllerCommand(t))),
  vars: (terms, options, ctx) =>
    terms.map((t) => {
      if (typeof t !== 'string') throw new LookupError(`Invalid setting identifier, "${pythonStr(t)}" is not a string, its a <class '${pythonTypeName(t)}'>`);
      const value = ctx.variable(t);
      if (value !== undefined) return value;
      if (options.default !== undefined && options.default !== null) return options.default;
      throw new LookupError(`No variable found with this name: ${t}`, 'ansible.errors.AnsibleUndefinedVariable');
    }),
  // Python's re.search over the names in scope, in the order they were set.
  varnames: (terms, _o, ctx) =>
    terms.flatMap((t) => {
      if (typeof t !== 'string') throw new LookupError(`Invalid setting identifier, "${pythonStr(t)}" is not a string, it is a <class '${pythonTypeName(t)}'>`);
      let re: RegExp;
      try {
        re = pythonRegExp(t);
      } catch (err) {
        throw new LookupError(`Unable to use "${t}" as a search parameter: ${(err as Error).message}`);
      }
      return ctx.names().filter((n) => re.test(n));
    }),
  items: (terms) => terms.flatMap((t) => (Array.isArray(t) ? t : [t])),
  list: (terms) => terms,
  indexed_items: (terms) => terms.flatMap((t) => (Array.isArray(t) ? t : [t])).map((t, i) => tuple(i, t)),
  dict: (terms) =>
    terms.flatMap((t) => {
      if (!isMapping(t)) throw new LookupError('with_dict expects a dict');
      return Object.entries(t).map(([key, value]) => ({ key, value }));
    }),
  sequence: (terms) => terms.flatMap((t) => sequence(text(t))),
  nested: (terms, _o, ctx) => product(listsOf(terms, ctx)),
  cartesian: (terms, _o, ctx) => product(listsOf(terms, ctx)),
  together: (terms, _o, ctx) => {
    const lists = listsOf(terms, ctx);
    if (!lists.length) throw new LookupError('with_together requires at least one element in each list');
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
function runLookup(name: string, terms: unknown[], options: Record<string, unknown>, ctx: LookupContext): unknown[] {
  const plugin = PLUGINS[name.replace(/^ansible\.builtin\./, '')];
  return plugin ? plugin(terms, options, ctx) : ansibleLookup(name, terms, options, ctx);
}

/** A lookup the engine has, or one ansible-core on the controller would run for it. */
export function hasLookup(name: string): boolean {
  return name.replace(/^ansible\.builtin\./, '') in PLUGINS || ansibleHasLookup(name);
}

/** The sources' copy: the build (dist/) holds no Python. */
const ANSIBLE_LOOKUP = join(PROJECT_ROOT, 'engine/core/load/template/ansible_lookup.py');

/**
 * Any other lookup (config, csvfile, a collection's), run by ansible-core's own plugin on the
 * controller with the task's variables, as Ansible runs it. What it does is its own, so it is
 * never run while a task is rendered ahead of its turn.
 */
function ansibleLookup(name: string, terms: unknown[], options: Record<string, unknown>, ctx: LookupContext): unknown[] {
  const core = ansibleCore();
  if (!core || !ansibleHasLookup(name)) {
    const why = core ? '' : '; ansible-core, which would run any other, is not installed on this machine';
    throw new Error(`lookup('${name}') is not one of the engine's lookups (${lookupNames.join(', ')}) nor one of Ansible's${why}`);
  }
  if (ctx.ahead) throw new Error(`lookup('${name}') runs in Ansible's Python: not rendered ahead of its task`);
  const request = { name, terms, options, variables: ctx.data(), basedir: String(ctx.variable('playbook_dir') ?? process.cwd()) };
  const answer = JSON.parse(execFileSync(core.python, [ANSIBLE_LOOKUP], { input: JSON.stringify(request), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
  if (answer.error !== undefined) throw new LookupError(answer.error, answer.type);
  return answer.value;
}

/**
 * The items of a `with_<lookup>` loop: its rendered value handed to the plugin as Ansible's
 * listify does (a list as it is, anything else a list of one). A plugin's refusal is the task's
 * message, in the plugin's words.
 */
export function loopItems(name: string, value: unknown, ctx: LookupContext): unknown[] {
  if (name === 'indexed_items' && !Array.isArray(value)) throw new LookupError('with_indexed_items expects a list');
  // Ansible makes a list of a lone string or number, but a mapping reaches the plugin as it is.
  if (name === 'list' && isMapping(value)) throw new LookupError('with_list expects a list');
  return runLookup(name, Array.isArray(value) ? value : [value], {}, ctx);
}

const RAISED_AS_IS = ['ansible.errors.AnsibleLookupError', 'ansible.errors.AnsibleOptionsError', 'ansible.errors.AnsibleUndefinedVariable'];

/**
 * `query()`: the list; with errors='ignore' or 'warn', a failing lookup is [] (undefined here, so
 * that lookup() can tell it apart and give None), as Ansible's. A plugin's refusal reads as
 * Ansible's template error around it.
 */
function queryValue(name: string, terms: unknown[], options: Record<string, unknown>, ctx: LookupContext): unknown[] | undefined {
  const { errors, ...rest } = options;
  try {
    return runLookup(name, terms, rest, ctx);
  } catch (err) {
    if (errors === 'ignore' || errors === 'warn') return undefined;
    // As Ansible's templar: a lookup's own refusal (AnsibleLookupError, bad options) as it is, anything else wrapped.
    if (err instanceof LookupError && !RAISED_AS_IS.includes(err.pythonClass))
      throw new Error(
        `An unhandled exception occurred while running the lookup plugin '${name}'. Error was a <class '${err.pythonClass}'>, original message: ${err.message}`,
      );
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
  // As Ansible's templar: an empty list is returned as it is, never joined.
  if (wantlist === true || !found.length) return found;
  if (found.every((v) => typeof v === 'string')) return found.join(',');
  return found.length === 1 ? found[0] : found;
}
