// Jinja2-compatible templating through nunjucks: `{{ }}` in any string, .j2 files, conditions.
// Variables are resolved lazily, so `vip_cidr: "{{ vip }}/20"` sees the host's own `vip`, and an
// undefined variable is reported by name with the place it was used.
import { dirname } from 'node:path';
import type { Environment, Template } from 'nunjucks';
import { InputError, type SourcePos } from '../errors';
import { addAnsibleFilters, toBool } from './filters';
import { globRegExp } from '../glob';

const GLOBALS = ['__capture', 'lookup', 'query', 'q', 'omit', 'range', 'cycler', 'joiner', 'true', 'false', 'none', 'True', 'False', 'None'];
const TEMPLATE_MARK = /\{\{|\{%/;

export class UndefinedVariable extends Error {}

/**
 * Values that came back from hosts (registered results) are data, never templates: like Ansible's
 * "unsafe" values, they are not rendered again, so a `{{` in a command's output stays text.
 */
const UNSAFE = new WeakSet<object>();

export function markUnsafe<T extends object>(value: T): T {
  UNSAFE.add(value);
  return value;
}

/**
 * Variables of one host at one task, each templated value rendered on first use. Names in
 * `data` hold values that are final already (facts, registered results, set_fact values, loop
 * items): they came from hosts or from a rendering, and are never templated again.
 */
export class VarScope {
  private readonly rendered = new Map<string, unknown>();
  private readonly resolving = new Set<string>();

  constructor(readonly raw: Record<string, unknown>, private readonly templar: Templar, private readonly data: ReadonlySet<string> = new Set()) {}

  /** A scope from layers of variables, lowest precedence first; `data` layers are final values. */
  static layered(templar: Templar, layers: { vars: Record<string, unknown>; data?: boolean }[]): VarScope {
    const raw: Record<string, unknown> = {};
    const data = new Set<string>();
    for (const layer of layers) {
      for (const [name, value] of Object.entries(layer.vars)) {
        raw[name] = value;
        if (layer.data) data.add(name);
        else data.delete(name);
      }
    }
    return new VarScope(raw, templar, data);
  }

  has(name: string): boolean {
    return name in this.raw;
  }

  get(name: string): unknown {
    if (this.rendered.has(name)) return this.rendered.get(name);
    if (!(name in this.raw)) return undefined;
    if (this.data.has(name)) return this.raw[name];
    if (this.resolving.has(name)) throw new InputError(`variable '${name}' refers to itself (${[...this.resolving, name].join(' -> ')})`);
    this.resolving.add(name);
    try {
      const value = this.templar.renderValue(this.raw[name], this, `variable '${name}'`);
      this.rendered.set(name, value);
      return value;
    } finally {
      this.resolving.delete(name);
    }
  }

  /** A child scope with more variables on top (loop items, registered results): final values. */
  with(extra: Record<string, unknown>): VarScope {
    return new VarScope({ ...this.raw, ...extra }, this.templar, new Set([...this.data, ...Object.keys(extra)]));
  }

  /** All variables rendered: for hostvars and debug output. */
  resolveAll(): Record<string, unknown> {
    return Object.fromEntries(Object.keys(this.raw).map((k) => [k, this.get(k)]));
  }
}

export class Templar {
  private env?: Environment;
  private readonly compiled = new Map<string, { template: Template; names: string[] }>();
  private captured: unknown;

  private environment(): Environment {
    if (this.env) return this.env;
    // Lazy: nunjucks costs start-up time and `engine --help` needs none of it.
    const nunjucks = require('nunjucks') as typeof import('nunjucks');
    fixTestArguments();
    this.env = new nunjucks.Environment(new nunjucks.FileSystemLoader([], { noCache: false }), { autoescape: false, throwOnUndefined: true, trimBlocks: true });
    addAnsibleFilters(this.env);
    this.env.addGlobal('__capture', (value: unknown) => {
      this.captured = value;
      return '';
    });
    this.env.addGlobal('lookup', (kind: string, ...args: string[]) => lookup(kind, args));
    this.env.addGlobal('query', (kind: string, ...args: string[]) => [lookup(kind, args)].flat());
    this.env.addGlobal('q', (kind: string, ...args: string[]) => [lookup(kind, args)].flat());
    this.env.addGlobal('omit', OMIT);
    return this.env;
  }

  /** Compiles once per distinct source; records the top-level names the template reads. */
  private compile(source: string, file?: string): { template: Template; names: string[] } {
    const key = `${file ?? ''}\0${source}`;
    const hit = this.compiled.get(key);
    if (hit) return hit;
    const nunjucks = require('nunjucks') as typeof import('nunjucks');
    const env = this.environment();
    const rewritten = separateDictBraces(withSlices(source));
    const template = new nunjucks.Template(rewritten, env, file, true);
    const entry = { template, names: referencedNames(rewritten) };
    this.compiled.set(key, entry);
    return entry;
  }

  private context(names: string[], scope: VarScope): { ctx: Record<string, unknown>; missing: string[] } {
    const ctx: Record<string, unknown> = {};
    const missing: string[] = [];
    for (const name of names) {
      if (scope.has(name)) ctx[name] = scope.get(name);
      else if (!GLOBALS.includes(name)) missing.push(name);
    }
    return { ctx, missing };
  }

  private run(source: string, scope: VarScope, where: string, pos?: SourcePos, file?: string): string {
    let missing: string[] = [];
    try {
      const { template, names } = this.compile(source, file);
      const context = this.context(names, scope);
      missing = context.missing;
      if (file) (this.environment() as unknown as { loaders: { searchPaths: string[] }[] }).loaders[0].searchPaths = [dirname(file)];
      return template.render(context.ctx);
    } catch (err) {
      throw templateError(err as Error, source, where, missing, pos);
    }
  }

  /** Renders any value: strings are templated, lists and mappings deeply. */
  renderValue(value: unknown, scope: VarScope, where: string, pos?: SourcePos): unknown {
    if (value === OMIT || (value !== null && typeof value === 'object' && UNSAFE.has(value))) return value;
    if (typeof value === 'string') return this.renderString(value, scope, where, pos);
    if (Array.isArray(value)) return value.map((v) => this.renderValue(v, scope, where, pos)).filter((v) => v !== OMIT);
    if (value && typeof value === 'object' && value.constructor === Object) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const rendered = this.renderValue(v, scope, where, pos);
        if (rendered !== OMIT) out[k] = rendered;
      }
      return out;
    }
    return value;
  }

  /** A string that is one `{{ expr }}` keeps the expression's type (list, number, bool). */
  renderString(text: string, scope: VarScope, where: string, pos?: SourcePos): unknown {
    if (!TEMPLATE_MARK.test(text)) return text;
    const single = singleExpression(text);
    if (single !== undefined) return this.expression(single, scope, where, pos);
    return this.run(text, scope, where, pos);
  }

  expression(expr: string, scope: VarScope, where: string, pos?: SourcePos): unknown {
    this.captured = undefined;
    const source = `{{ __capture((${expr})) }}`;
    this.run(source, scope, where, pos);
    const value = this.captured;
    if (value === undefined) {
      const { missing } = this.context(this.compile(source).names, scope);
      throw templateError(new Error('undefined value'), `{{ ${expr.trim()} }}`, where, missing, pos);
    }
    return value;
  }

  /** Evaluates a `when`-style condition. A bare undefined name is an error, as in Ansible. */
  evaluate(condition: unknown, scope: VarScope, where: string, pos?: SourcePos): boolean {
    if (typeof condition === 'boolean') return condition;
    const expr = String(condition).replace(/^\s*\{\{([\s\S]*)\}\}\s*$/, '$1');
    const source = `{% if ${expr} %}1{% else %}0{% endif %}`;
    const out = this.run(source, scope, where, pos);
    const { missing } = this.context(this.compile(source).names, scope);
    if (missing.length && !/\b(defined|undefined|default|d\(|none)\b|\bis\b/.test(expr)) {
      throw new InputError(`undefined variable '${missing[0]}' in condition '${expr.trim()}' (${where})`, pos);
    }
    return toBool(out === '1');
  }

  renderFile(text: string, scope: VarScope, file: string): string {
    return this.run(text, scope, `template ${file}`, { file, line: 1, col: 1 }, file);
  }
}

/**
 * Two places where nunjucks and Jinja2 disagree and Ansible users notice.
 * nunjucks 3.2 compiles a test with two or more arguments (`v is version('1.9', '>')`, which
 * Ansible users write often) without commas between them, a JS syntax error. Emit the commas.
 */
function fixTestArguments(): void {
  const { Compiler } = require('nunjucks/src/compiler') as { Compiler: { prototype: Record<string, unknown> } };
  if (Compiler.prototype.__testArgsFixed) return;
  Compiler.prototype.__testArgsFixed = true;
  Compiler.prototype.compileIs = function compileIs(this: any, node: any, frame: unknown) {
    const name = node.right.name ? node.right.name.value : node.right.value;
    this._emit(`env.getTest(${JSON.stringify(name)}).call(context, `);
    this.compile(node.left, frame);
    for (const arg of node.right.args?.children ?? []) {
      this._emit(', ');
      this.compile(arg, frame);
    }
    this._emit(') === true');
  };
  // Jinja2's `+` concatenates lists (`defaults + extra`); JavaScript's would join them as strings.
  const runtime = require('nunjucks/src/runtime') as Record<string, unknown>;
  runtime.jinjaAdd = (a: unknown, b: unknown) => (Array.isArray(a) && Array.isArray(b) ? [...a, ...b] : (a as number) + (b as number));
  Compiler.prototype.compileAdd = function compileAdd(this: any, node: any, frame: unknown) {
    this._emit('runtime.jinjaAdd(');
    this.compile(node.left, frame);
    this._emit(', ');
    this.compile(node.right, frame);
    this._emit(')');
  };
}

const SLICE = /(?<=[\w\])'"])\[\s*(-?[\w.]*)\s*:\s*(-?[\w.]*)\s*\]/g;

/**
 * Walks a {{ }} or {% %} tag from `start` (just past its opening), minding quotes and dict braces:
 * where the tag closes (-1 if it does not) and which `}` close a dict literal.
 */
function scanTag(source: string, start: number, close: '}}' | '%}'): { end: number; dictCloses: Set<number> } {
  const dictCloses = new Set<number>();
  let depth = 0;
  let quote = '';
  for (let i = start; i < source.length; i++) {
    const c = source[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (depth === 0 && source.startsWith(close, i)) return { end: i, dictCloses };
    else if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      dictCloses.add(i);
    }
  }
  return { end: -1, dictCloses };
}

/**
 * The expression of a string that is exactly one `{{ ... }}` tag, or undefined. Braces of dict
 * literals inside (`{{ {'a': {'b': 1}} }}`) are balanced, so their `}}` does not end the tag.
 */
function singleExpression(text: string): string | undefined {
  if (!text.startsWith('{{') || !text.endsWith('}}')) return undefined;
  return scanTag(text, 2, '}}').end === text.length - 2 ? text.slice(2, -2) : undefined;
}

/**
 * nunjucks ends an expression at the first `}}`, even when it closes nested dict literals
 * (`{'a': {'b': 1}}`); Jinja2 balances braces. Inside {{ }} and {% %}, a dict's closing brace
 * followed by another one gets a space, so only the real end of the tag reads as `}}`.
 */
function separateDictBraces(source: string): string {
  let out = '';
  let i = 0;
  while (i < source.length) {
    const open = source.slice(i, i + 2);
    if (open !== '{{' && open !== '{%') {
      out += source[i++];
      continue;
    }
    const { end, dictCloses } = scanTag(source, i + 2, open === '{{' ? '}}' : '%}');
    const stop = end < 0 ? source.length : end;
    out += open;
    for (i += 2; i < stop; i++) out += source[i] + (dictCloses.has(i) && source[i + 1] === '}' ? ' ' : '');
  }
  return out;
}

/**
 * Jinja2 slices (`groups['all'][:5]`) are common in Ansible templates, but nunjucks cannot parse
 * them; inside {{ }} and {% %} they become the equivalent `| __slice(start, end)` filter.
 */
function withSlices(source: string): string {
  if (!source.includes(':')) return source;
  return source.replace(/\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g, (tag) => tag.replace(SLICE, (_m, a: string, b: string) => `|__slice(${a || 'none'}, ${b || 'none'})`));
}

/** Ansible's `omit`: a task argument rendered to it is dropped. */
export const OMIT = Object.freeze({ __omit_place_holder__: true });

function lookup(kind: string, args: string[]): unknown {
  const { readFileSync, readdirSync, existsSync } = require('node:fs') as typeof import('node:fs');
  if (kind === 'env') return process.env[args[0]] ?? '';
  if (kind === 'file') return readFileSync(args[0], 'utf8').replace(/\n$/, '');
  if (kind === 'fileglob') {
    // Files (on the controller) whose name matches a * / ? pattern in one directory, sorted.
    const path = require('node:path') as typeof import('node:path');
    const [dir, pattern] = [path.dirname(args[0]), path.basename(args[0])];
    const re = globRegExp(pattern);
    return existsSync(dir) ? readdirSync(dir).filter((f) => re.test(f)).sort().map((f) => path.join(dir, f)) : [];
  }
  if (kind === 'pipe') throw new Error('lookup("pipe") is not supported: run a task with register instead');
  throw new Error(`lookup('${kind}') is not supported (env, file, fileglob)`);
}

/** Names a template reads from its context: nunjucks Symbol nodes of the parsed source. */
function referencedNames(source: string): string[] {
  const parser = require('nunjucks/src/parser') as { parse(src: string): unknown };
  const names = new Set<string>();
  const walk = (node: any): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    if (node.typename === 'Symbol') names.add(node.value);
    // `map(attribute='addr')`: keyword argument names are not variables, their values may be.
    if (node.typename === 'KeywordArgs') return node.children.forEach((pair: any) => walk(pair.value));
    for (const field of node.fields ?? []) {
      // Filter and test names (`x | int`, `x is defined`) are Symbol nodes too, but not variables.
      if ((node.typename === 'Filter' || node.typename === 'FilterAsync') && field === 'name') continue;
      if (node.typename === 'Is' && field === 'right') {
        walk(node.right?.args);
        continue;
      }
      walk(node[field]);
    }
  };
  try {
    walk(parser.parse(source));
  } catch {
    // A syntax error is reported with its position when the template is compiled.
  }
  return [...names];
}

function templateError(err: Error, source: string, where: string, missing: string[], pos?: SourcePos): InputError {
  if (err instanceof InputError) return err;
  const text = err.message.replace(/^\(unknown path\)\s*/, '').replace(/\s+/g, ' ').trim();
  if (/undefined|null/.test(text) && missing.length) {
    return new InputError(`undefined variable '${missing[0]}' in '${source.trim()}' (${where})`, pos);
  }
  if (/undefined|null/.test(text)) return new InputError(`'${source.trim()}' is undefined (${where})`, pos);
  return new InputError(`template error in '${source.trim()}' (${where}): ${text}`, pos);
}
