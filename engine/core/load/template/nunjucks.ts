// What nunjucks needs to read Ansible's Jinja2: a compiler patch, and the names a template reads
// (from nunjucks' own parse tree, for "undefined variable" messages and lazy variables).
import { pythonMethod } from './python';
import { pythonEqual, pythonStr } from './pyrepr';

/**
 * Places where nunjucks and Jinja2 disagree and Ansible users notice.
 * nunjucks 3.2 compiles a test with two or more arguments (`v is version('1.9', '>')`, which
 * Ansible users write often) without commas between them, a JS syntax error. Emit the commas.
 */
export function fixTestArguments(): void {
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
  // Jinja2's test with one argument and no parentheses: `msg is contains 'x'`, `n is divisibleby 3`.
  const { Parser } = require('nunjucks/src/parser') as { Parser: { prototype: Record<string, unknown> } };
  const nodes = require('nunjucks/src/nodes') as Record<string, any>;
  const lexer = require('nunjucks/src/lexer') as Record<string, string>;
  const parseIs = Parser.prototype.parseIs as () => any;
  Parser.prototype.parseIs = function parseIsWithBareArgument(this: any) {
    const node = parseIs.call(this);
    const test = node instanceof nodes.Not ? node.target : node;
    if (!(test instanceof nodes.Is) || !(test.right instanceof nodes.Symbol) || !startsBareArgument(this.peekToken(), lexer)) return node;
    const arg = this.parsePrimary();
    test.right = new nodes.FunCall(test.right.lineno, test.right.colno, test.right, new nodes.NodeList(arg.lineno, arg.colno, [arg]));
    return node;
  };
  // A called expression's text goes into the compiled code as a string for error messages:
  // nunjucks escapes only its quotes, so a literal with a line break ('a\n'.split()) broke it.
  const nodeName = Compiler.prototype._getNodeName as (node: unknown) => string;
  Compiler.prototype._getNodeName = function getNodeName(this: unknown, node: unknown) {
    return nodeName.call(this, node).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
  };
  // Jinja2's `+` concatenates lists (`defaults + extra`); JavaScript's would join them as strings.
  const runtime = require('nunjucks/src/runtime') as Record<string, unknown>;
  runtime.jinjaAdd = (a: unknown, b: unknown) => (Array.isArray(a) && Array.isArray(b) ? [...a, ...b] : (a as number) + (b as number));
  // `name.startswith('pbx')`, `d.items()`: Python's methods first, as Jinja2 has them (python.ts);
  // Python's negative subscripts (`lines[-1]`) on lists and strings.
  const memberLookup = runtime.memberLookup as (obj: unknown, name: string) => unknown;
  runtime.memberLookup = (obj: unknown, name: string | number) => {
    if (typeof name === 'number' && name < 0 && (Array.isArray(obj) || typeof obj === 'string')) return obj[obj.length + name];
    return pythonMethod(obj, name as string) ?? memberLookup(obj, name as string);
  };
  // A value printed, or joined with `~`, is Python's str() of it: `True`, `['a', None]` (JavaScript
  // would print true, a,); a printed None is nothing, as Ansible's finalize has it. Only an
  // undefined value is an error.
  runtime.suppressValue = (val: unknown) => (val === undefined || val === null ? '' : pythonStr(val));
  const ensureDefined = runtime.ensureDefined as (val: unknown, lineno: number, colno: number) => unknown;
  runtime.ensureDefined = (val: unknown, lineno: number, colno: number) => (val === null ? val : ensureDefined(val, lineno, colno));
  runtime.jinjaConcat = (a: unknown, b: unknown) => pythonStr(a) + pythonStr(b);
  Compiler.prototype.compileConcat = binaryCall('jinjaConcat');
  Compiler.prototype.compileAdd = binaryCall('jinjaAdd');
  // Python compares lists and dicts by value (`a + b == ['x', 'y']`), JavaScript by reference;
  // `a < b < c` is `a < b and b < c`; `x in list` finds an equal value, not the same object.
  runtime.jinjaCompare = pythonCompare;
  Compiler.prototype.compileCompare = function compileCompare(this: any, node: any, frame: unknown) {
    const operands = [node.expr, ...node.ops.map((op: any) => op.expr)];
    this._emit('(');
    node.ops.forEach((op: any, i: number) => {
      if (i > 0) this._emit(' && ');
      this._emit(`runtime.jinjaCompare(${JSON.stringify(op.type)}, `);
      this.compile(operands[i], frame);
      this._emit(', ');
      this.compile(operands[i + 1], frame);
      this._emit(')');
    });
    this._emit(')');
  };
  // `f(a, *rest, **opts)` (jinja.ts starArguments): the call gets the items and keywords spread.
  const callWrap = runtime.callWrap as (fn: unknown, name: string, context: unknown, args: unknown[]) => unknown;
  runtime.callWrap = (fn: unknown, name: string, context: unknown, args: unknown[]) => callWrap(fn, name, context, spreadStarArguments(args));
  const inOperator = runtime.inOperator as (key: unknown, val: unknown) => boolean;
  runtime.inOperator = (key: unknown, val: unknown) => (Array.isArray(val) ? val.some((v) => pythonEqual(key, v)) : inOperator(key, val));
}

/** Python's ordering of lists: item by item, then by length. */
function pythonLess(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (!pythonEqual(a[i], b[i])) return pythonLess(a[i], b[i]);
    return a.length < b.length;
  }
  return (a as number) < (b as number);
}

function pythonCompare(op: string, a: unknown, b: unknown): boolean {
  switch (op) {
    case '==':
    case '===':
      return pythonEqual(a, b);
    case '!=':
    case '!==':
      return !pythonEqual(a, b);
    case '<':
      return pythonLess(a, b);
    case '>':
      return pythonLess(b, a);
    case '<=':
      return pythonLess(a, b) || pythonEqual(a, b);
    default:
      return pythonLess(b, a) || pythonEqual(a, b);
  }
}

/** A compiler method that emits `runtime.NAME(left, right)` for a binary operator's node. */
function binaryCall(name: string) {
  return function compileBinary(this: any, node: any, frame: unknown) {
    this._emit(`runtime.${name}(`);
    this.compile(node.left, frame);
    this._emit(', ');
    this.compile(node.right, frame);
    this._emit(')');
  };
}

/** Names a template reads from its context: nunjucks Symbol nodes of the parsed source. */
export function referencedNames(source: string): string[] {
  const parser = require('nunjucks/src/parser') as { parse(src: string): unknown };
  const names = new Set<string>();
  const walk = (node: any): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
      return;
    }
    if (node.typename === 'Symbol') names.add(node.value);
    // `map(attribute='addr')`: keyword argument names are not variables, their values may be.
    if (node.typename === 'KeywordArgs') {
      for (const pair of node.children) walk(pair.value);
      return;
    }
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

/** An argument written `*items` or `**keywords`, to spread where the call is made. */
export class StarArgument {
  constructor(
    readonly value: unknown,
    readonly keywords: boolean,
  ) {}
}

/** A call's arguments with `*items` spread among the positional ones and `**keywords` merged into its keywords. */
function spreadStarArguments(args: unknown[]): unknown[] {
  if (!args.some((a) => a instanceof StarArgument || isKeywordArguments(a))) return args;
  const positional: unknown[] = [];
  let keywords: Record<string, unknown> | undefined;
  for (const arg of args) {
    if (arg instanceof StarArgument && !arg.keywords) positional.push(...starItems(arg.value));
    else if (arg instanceof StarArgument) keywords = { ...keywords, ...(arg.value as Record<string, unknown>) };
    else if (isKeywordArguments(arg)) keywords = { ...keywords, ...arg };
    else positional.push(arg);
  }
  if (keywords) positional.push({ ...keywords, __keywords: true });
  return positional;
}

function starItems(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return [...value];
  if (value !== null && typeof value === 'object') return Object.keys(value);
  throw new Error(`TypeError: argument after * must be an iterable, not ${value === undefined ? 'Undefined' : typeof value}`);
}

function isKeywordArguments(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && Object.hasOwn(value, '__keywords');
}

/** The token after a test's name begins its one argument, as Jinja2's parse_test has it. */
function startsBareArgument(token: { type: string; value: string } | null, lexer: Record<string, string>): boolean {
  if (!token) return false;
  if (token.type === lexer.TOKEN_SYMBOL) return !['else', 'or', 'and', 'is'].includes(token.value);
  return [lexer.TOKEN_STRING, lexer.TOKEN_INT, lexer.TOKEN_FLOAT, lexer.TOKEN_LEFT_BRACKET, lexer.TOKEN_LEFT_CURLY].includes(token.type);
}
