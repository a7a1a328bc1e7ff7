// The templar: Jinja2-compatible templating through nunjucks for `{{ }}` in any string, .j2 files
// and conditions; an undefined variable is reported by name with the place it was used.
import { regExpLiteral } from '../../pyregex';
import { dirname } from 'node:path';
import type { Environment, Template } from 'nunjucks';
import { InputError, type SourcePos } from '../../errors';
import { addAnsibleFilters, callArgs, toBool } from '../filters';
import { BUILTIN_FILTERS } from '../filters-builtin';
import { pythonDateTime, pythonStrftime } from '../../pytime';
import { asPythonLiteral, isDict, pythonStr, tuple } from './pyrepr';
import { numericAttributes, pythonStringEscapes, separateDictBraces, singleExpression, starArguments, tupleLiterals, withSlices } from './jinja';
import { type LookupContext, lookupValue, queryList } from './lookups';
import { fixTestArguments, referencedNames, StarArgument } from './nunjucks';
import type { TemplateOptions } from '../../modules/types';
import { isUnsafe, OMIT, type ValueRenderer, type VarScope } from './scope';

const GLOBALS = [
  '__capture',
  '__tuple',
  '__star',
  '__starstar',
  'lookup',
  'query',
  'q',
  'omit',
  'now',
  'range',
  'cycler',
  'joiner',
  'true',
  'false',
  'none',
  'True',
  'False',
  'None',
];
const TEMPLATE_MARK = /\{\{|\{%/;

export class Templar implements ValueRenderer {
  /** One environment per set of options (keyed by their JSON; `{}` is Ansible's defaults: trim_blocks on). */
  private readonly envs = new Map<string, Environment>();
  private readonly compiled = new Map<string, { template: Template; names: string[] }>();
  private captured: unknown;
  /** Told when a lookup wrote on the controller (the run's answers fetched ahead are stale then). */
  onControllerWrite?: () => void;
  /**
   * What is being rendered, innermost last: the scope lookup() reads variables from, and the
   * template text (a lookup term written in it is templated).
   */
  private readonly rendering: { scope: VarScope; source: string }[] = [];

  private environment(options: TemplateOptions = {}): Environment {
    const key = JSON.stringify(options);
    const known = this.envs.get(key);
    if (known) return known;
    // Lazy: nunjucks costs start-up time and `engine --help` needs none of it.
    const nunjucks = require('nunjucks') as typeof import('nunjucks');
    fixTestArguments();
    const env = new nunjucks.Environment(new nunjucks.FileSystemLoader([], { noCache: false }), {
      autoescape: false,
      throwOnUndefined: true,
      trimBlocks: options.trimBlocks ?? true,
      lstripBlocks: options.lstripBlocks ?? false,
      ...(options.tags ? { tags: options.tags } : {}),
    });
    this.envs.set(key, env);
    // Jinja2 drops a template's final newline (keep_trailing_newline is off in Ansible): an
    // included file `world.txt` is `world` where it is included.
    const loader = (env as unknown as { loaders: { getSource(name: string): { src: string } | null }[] }).loaders[0];
    const getSource = loader.getSource.bind(loader);
    loader.getSource = (name: string) => {
      const found = getSource(name);
      if (found) found.src = found.src.replace(/\n$/, '');
      return found;
    };
    addAnsibleFilters(env);
    refuseUnknownTests(env);
    for (const [name, filter] of Object.entries(BUILTIN_FILTERS)) env.addFilter(name, filter);
    env.addGlobal('__capture', (value: unknown) => {
      this.captured = value;
      return '';
    });
    const current = () => this.lookupContext(this.rendering.at(-1)?.scope);
    env.addGlobal('lookup', (name: string, ...raw: unknown[]) => {
      const { args, keywords } = callArgs(raw);
      return lookupValue(name, this.lookupTerms(args), keywords, current());
    });
    const query = (name: string, ...raw: unknown[]) => {
      const { args, keywords } = callArgs(raw);
      return queryList(name, this.lookupTerms(args), keywords, current());
    };
    env.addGlobal('query', query);
    env.addGlobal('q', query);
    env.addGlobal('omit', OMIT);
    env.addGlobal('__tuple', (...items: unknown[]) => tuple(...items));
    // A `!vault` value read without a vault password (load/yaml.ts): refused where it is used, as Ansible's.
    env.addGlobal('__vault_locked', () => {
      throw new Error('Attempting to decrypt but no vault secrets found (pass --vault-password-file)');
    });
    env.addGlobal('__star', (value: unknown) => new StarArgument(value, false));
    env.addGlobal('__starstar', (value: unknown) => new StarArgument(value, true));
    // Ansible's now(utc=False, fmt=None): the moment formatted, or as str(datetime) prints it.
    env.addGlobal('now', (...raw: unknown[]) => {
      const { args, keywords } = callArgs(raw);
      const utc = toBool(keywords.utc ?? args[0] ?? false);
      const fmt = keywords.fmt ?? args[1];
      return fmt === undefined || fmt === null ? pythonDateTime(new Date(), utc) : pythonStrftime(String(fmt), new Date(), utc);
    });
    // Jinja2's capitalised literals (nunjucks knows only true, false and none).
    for (const [name, value] of [
      ['True', true],
      ['False', false],
      ['None', null],
    ] as const)
      env.addGlobal(name, value);
    return env;
  }

  /** Compiles once per distinct source; records the top-level names the template reads. */
  private compile(source: string, file?: string, options: TemplateOptions = {}): { template: Template; names: string[] } {
    const key = `${file ?? ''}\0${JSON.stringify(options)}\0${source}`;
    const hit = this.compiled.get(key);
    if (hit) return hit;
    const nunjucks = require('nunjucks') as typeof import('nunjucks');
    const env = this.environment(options);
    const rewritten = separateDictBraces(withSlices(numericAttributes(starArguments(tupleLiterals(pythonStringEscapes(commentsTrimmed(source, options)))))));
    const template = new nunjucks.Template(rewritten, env, file, true);
    const entry = { template, names: referencedNames(options.tags ? withDefaultTags(rewritten, options.tags) : rewritten) };
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

  /** Set while a task is rendered ahead of its turn: lookups that write refuse (lookups.ts). */
  private renderingAhead = false;

  /** Runs fn as rendering ahead of a task's turn (run/lookahead.ts). */
  ahead<T>(fn: () => T): T {
    this.renderingAhead = true;
    try {
      return fn();
    } finally {
      this.renderingAhead = false;
    }
  }

  /** What a lookup reads of a scope: its variables, and rendering of template files with them. */
  lookupContext(scope: VarScope | undefined): LookupContext {
    return {
      ahead: this.renderingAhead,
      wrote: () => this.onControllerWrite?.(),
      variable: (name) => scope?.get(name),
      names: () => Object.keys(scope?.raw ?? {}),
      data: () => (scope ? plainVariables(scope) : {}),
      renderFile: (text, file) => {
        if (!scope) throw new Error('a template lookup needs variables');
        return this.renderFile(text, scope, file);
      },
    };
  }

  /**
   * A lookup's terms are templated once more, as Ansible's listify_lookup_plugin_terms does
   * (`lookup('pipe', '{{ python }} -V')`); an unsafe value (host output) never is.
   */
  private lookupTerms(terms: unknown[]): unknown[] {
    const inner = this.rendering.at(-1);
    if (!inner) return terms;
    const { scope, source } = inner;
    // Only a term written in the template itself: a value that came from a host or a variable is text.
    const written = (term: unknown): term is string => typeof term === 'string' && TEMPLATE_MARK.test(term) && source.includes(term);
    return terms.map((term) => (written(term) ? this.renderString(term, scope, 'a lookup term') : term));
  }

  /**
   * Renders source; an error names `shown`, the text as the user wrote it (expression() and
   * evaluate() wrap theirs in a capture or an if of the engine's).
   */
  private run(source: string, scope: VarScope, where: string, at: { pos?: SourcePos; file?: string; options?: TemplateOptions; shown?: string } = {}): string {
    const { pos, file, options = {}, shown = source } = at;
    let missing: string[] = [];
    this.rendering.push({ scope, source });
    try {
      const { template, names } = this.compile(source, file, options);
      const context = this.context(names, scope);
      missing = context.missing;
      if (file) (this.environment(options) as unknown as { loaders: { searchPaths: string[] }[] }).loaders[0].searchPaths = [dirname(file)];
      return template.render(context.ctx);
    } catch (err) {
      throw templateError(err as Error, shown, where, missing, pos);
    } finally {
      this.rendering.pop();
    }
  }

  /** Renders any value: strings are templated, lists and mappings deeply. */
  renderValue(value: unknown, scope: VarScope, where: string, pos?: SourcePos): unknown {
    if (value === OMIT || isUnsafe(value)) return value;
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

  /**
   * A string that is one `{{ expr }}` keeps the expression's type (list, number, bool); other
   * output that reads as a Python list, dict or boolean becomes one, as Ansible's templating
   * converts it (`"[{{ a }}, {{ b }}]"`, a folded `>` scalar with one expression).
   */
  renderString(text: string, scope: VarScope, where: string, pos?: SourcePos): unknown {
    if (!TEMPLATE_MARK.test(text)) return text;
    const single = singleExpression(text);
    if (single !== undefined) {
      const value = this.expression(single, scope, where, pos);
      // As Ansible's templating: None is printed as nothing, except for a bare variable's value
      // (`"{{ unset }}"` stays None, `"{{ d.get('x') }}"` is '').
      return value === null && !(single.trim() in scope.raw) ? '' : value;
    }
    // Jinja2 drops one final newline before Ansible looks at the output (and adds it back to text):
    // `"{{ x }}\n"` is one expression's output too.
    const oneBeforeNewline = text.endsWith('\n') ? singleExpression(text.slice(0, -1)) : undefined;
    if (oneBeforeNewline !== undefined) return this.expressionThenNewline(oneBeforeNewline, scope, where, pos);
    return asPythonLiteral(this.run(text, scope, where, { pos }));
  }

  /**
   * `"{{ expr }}\n"`, as ansible-playbook gives it (compared in ansible-idioms.test.ts): a list,
   * dict or boolean as it is, without the newline; text with it, read back when it starts with [
   * or { unless a string filter (to_json, to_yaml, string, ...) made it; a number as text.
   */
  private expressionThenNewline(expr: string, scope: VarScope, where: string, pos?: SourcePos): unknown {
    const value = this.expression(expr, scope, where, pos);
    if (Array.isArray(value) || isDict(value) || typeof value === 'boolean') return value;
    const out = `${value === null || value === undefined ? '' : pythonStr(value)}\n`;
    return typeof value === 'string' && !endsWithStringFilter(expr) ? asPythonLiteral(out) : out;
  }

  expression(expr: string, scope: VarScope, where: string, pos?: SourcePos): unknown {
    this.captured = undefined;
    const source = `{{ __capture((${expr})) }}`;
    this.run(source, scope, where, { pos, shown: `{{ ${expr.trim()} }}` });
    const value = this.captured;
    // `{{ {'name': missing} }}` is an undefined variable too, not a mapping with a hole in it.
    if (holdsUndefined(value)) {
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
    const out = this.run(source, scope, where, { pos, shown: expr });
    const { missing } = this.context(this.compile(source).names, scope);
    // A name tested, given a fallback or formatted (format's %r of it is its repr, %s raises in
    // pyformat) is not refused here: what it does with an undefined value decides.
    if (missing.length && !/\b(defined|undefined|default|d\(|none|format)\b|\bis\b/.test(expr)) {
      throw new InputError(`undefined variable '${missing[0]}' in condition '${expr.trim()}' (${where})`, pos);
    }
    return toBool(out === '1');
  }

  renderFile(text: string, scope: VarScope, file: string, options?: TemplateOptions): string {
    // Jinja2 drops the file's final newline (keep_trailing_newline is off); Ansible's
    // preserve_trailing_newlines then makes the output end with at least the newlines the file ends with.
    const out = this.run(text.replace(/\n$/, ''), scope, `template ${file}`, { pos: { file, line: 1, col: 1 }, file, options });
    const trailing = (t: string) => /\n*$/.exec(t)![0].length;
    return out + '\n'.repeat(Math.max(0, trailing(text) - trailing(out)));
  }
}

/** The source with custom delimiters as the default ones: only to find the names it reads. */
function withDefaultTags(source: string, tags: NonNullable<TemplateOptions['tags']>): string {
  const pairs: [string | undefined, string][] = [
    [tags.variableStart, '{{'],
    [tags.variableEnd, '}}'],
    [tags.blockStart, '{%'],
    [tags.blockEnd, '%}'],
  ];
  return pairs.reduce((text, [custom, standard]) => (custom ? text.split(custom).join(standard) : text), source);
}

/**
 * Jinja2's trim_blocks and lstrip_blocks apply to comments too, nunjucks' only to block tags:
 * the newline after a comment goes (trim), and the blanks before one that starts a line (lstrip).
 */
function commentsTrimmed(source: string, options: TemplateOptions): string {
  const start = regExpLiteral(options.tags?.commentStart ?? '{#');
  const end = regExpLiteral(options.tags?.commentEnd ?? '#}');
  let out = source;
  if (options.lstripBlocks) out = out.replace(new RegExp(`^[ \\t]+(?=${start})`, 'gm'), '');
  if (options.trimBlocks ?? true) out = out.replace(new RegExp(`(${start}[\\s\\S]*?${end})\\r?\\n`, 'g'), '$1');
  return out;
}

/** Undefined itself, or inside the lists and mappings an expression built. */
function holdsUndefined(value: unknown): boolean {
  if (value === undefined) return true;
  if (Array.isArray(value)) return value.some(holdsUndefined);
  if (value !== null && typeof value === 'object' && value.constructor === Object) return Object.values(value).some(holdsUndefined);
  return false;
}

/** Ansible's STRING_TYPE_FILTERS. */
const STRING_FILTERS = new Set(['string', 'to_json', 'to_nice_json', 'to_yaml', 'to_nice_yaml', 'ppretty', 'json']);

/** The expression's last filter is one of STRING_FILTERS (a `|` inside its arguments or a string is not a filter). */
function endsWithStringFilter(expr: string): boolean {
  let depth = 0;
  let quote = '';
  let last = -1;
  for (let i = 0; i < expr.length; i++) {
    const ch = expr[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth--;
    else if (ch === '|' && depth === 0) last = i;
  }
  const name = last < 0 ? undefined : /^\s*([\w.]+)\s*(?:\(.*\))?\s*$/s.exec(expr.slice(last + 1))?.[1];
  return name !== undefined && STRING_FILTERS.has(name.replace(/^ansible\.builtin\./, ''));
}

/** A test the environment does not have, refused in Ansible's words (its plugin loader's, for a name that cannot be one). */
function refuseUnknownTests(env: Environment): void {
  const withTests = env as unknown as { tests: Record<string, unknown>; getTest(name: string): unknown };
  const { tests } = withTests;
  const getTest = withTests.getTest.bind(env);
  withTests.getTest = (name: string) => {
    if (name in tests) return getTest(name);
    if (!/^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$/.test(name))
      throw new Error(`TemplateSyntaxError: Could not load "${name}": 'invalid plugin name: ansible.builtin.${name}'`);
    throw new Error(`TemplateRuntimeError: No test named '${name}' found.`);
  };
}

/**
 * Every variable of a scope that renders and is plain data, rendered (hostvars, a view of every
 * host, is left out): what a lookup of Ansible's own gets as the task's variables.
 */
function plainVariables(scope: VarScope): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(scope.raw)) {
    if (name === 'hostvars') continue;
    try {
      const value = scope.get(name);
      JSON.stringify(value);
      out[name] = value;
    } catch {
      // A variable that does not render here is one this lookup does not need.
    }
  }
  return out;
}

function templateError(err: Error, source: string, where: string, missing: string[], pos?: SourcePos): InputError {
  if (err instanceof InputError) return err;
  const text = err.message
    .replace(/^\(unknown path\)\s*/, '')
    .replace(/\s+/g, ' ')
    .trim();
  // A !vault value without a password: Ansible's words, without the engine's rewriting of the expression.
  if (text.includes('Attempting to decrypt')) return new InputError(`${text.replace(/^Error: /, '')} (${where})`, pos);
  // An operator given an undefined name (`'x' in y`) fails on its type: the name is the cause.
  if (/undefined|null|unexpected types/.test(text) && missing.length) {
    return new InputError(`undefined variable '${missing[0]}' in '${source.trim()}' (${where}): '${missing[0]}' is undefined`, pos);
  }
  if (/undefined|null/.test(text)) return new InputError(`undefined variable in '${source.trim()}' (${where}): a value it gives is undefined`, pos);
  return new InputError(`template error in '${source.trim()}' (${where}): ${text}`, pos);
}
