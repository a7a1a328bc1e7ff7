// Python's str() and repr() of the values templates handle, as Jinja2 prints them (`True`,
// `None`, `['a', 'b']`, `{'k': 1}`): printed values, `~`, `string`, `join`, `lower`.

/** A mapping as YAML and JSON make them (not a Date, a Buffer or a class instance). */
export function isDict(value: unknown): value is Record<string, unknown> {
  if (!value || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Characters Python's repr escapes (str.isprintable is false), the space excepted. */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === quote) out += `\\${ch}`;
    else if (ESCAPES[ch]) out += ESCAPES[ch];
    else if (ch !== ' ' && UNPRINTABLE.test(ch))
      out +=
        code < 0x100
          ? `\\x${code.toString(16).padStart(2, '0')}`
          : code < 0x10000
            ? `\\u${code.toString(16).padStart(4, '0')}`
            : `\\U${code.toString(16).padStart(8, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** A number as Python prints it: exponents with two digits at least, nan and inf. */
function pythonNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  return String(n).replace(/e([+-])(\d)$/, 'e$10$2');
}

/**
 * A Python tuple (what splitext, zip_longest, product, ... give): a list everywhere, printed in
 * parentheses. What is made from it (map, slice) is a plain list.
 */
export class PyTuple extends Array<unknown> {
  static get [Symbol.species]() {
    return Array;
  }
}

export function tuple(...items: unknown[]): PyTuple {
  const made = new PyTuple();
  made.push(...items);
  return made;
}

/** The name of a value's Python type, as `type(v).__name__` (Jinja2's type_debug). */
export function pythonTypeName(v: unknown): string {
  if (v instanceof PyTuple) return 'tuple';
  if (Array.isArray(v)) return 'list';
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'object' ? 'dict' : typeof v;
}

/** Python's repr: what str() of a list or dict shows of its items. */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return pythonNumber(value);
  if (typeof value === 'string') return reprString(value);
  if (value instanceof PyTuple) return value.length === 1 ? `(${pythonRepr(value[0])},)` : `(${[...value].map(pythonRepr).join(', ')})`;
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (isDict(value))
    return `{${Object.entries(value)
      .map(([k, v]) => `${reprString(k)}: ${pythonRepr(v)}`)
      .join(', ')}}`;
  return String(value);
}

/**
 * Python's str(), as Jinja2 prints a value: `True`, `None`, `['a', 'b']`, `{'k': 1}`. A string,
 * and anything that is not a Python-like value (a nunjucks SafeString), prints as itself.
 */
export function pythonStr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !isDict(value)) return String(value);
  return pythonRepr(value);
}

/**
 * Python's ast.literal_eval of a rendered string, as Ansible converts a template's text output
 * that starts with `[` or `{`, or is True/False (`"[{{ a }}, {{ b }}]"` is a list there):
 * strings, numbers, True/False/None (and JSON's names for them), lists, tuples, dicts. Anything else: undefined (the text
 * stays text).
 */
/**
 * Template output as Ansible converts it: text that starts with `[` or `{`, or is True/False, is
 * the Python literal it reads as (when it reads as one); any other text stays text.
 */
export function asPythonLiteral(out: string): unknown {
  if (out.startsWith('[') || out.startsWith('{') || out === 'True' || out === 'False') return literalEval(out)?.value ?? out;
  return out;
}

export function literalEval(text: string): { value: unknown } | undefined {
  let i = 0;
  const fail = (): never => {
    throw new SyntaxError('not a literal');
  };
  const space = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const expect = (c: string) => {
    space();
    if (text[i] !== c) fail();
    i++;
  };
  const items = (close: string): unknown[] => {
    const out: unknown[] = [];
    space();
    while (text[i] !== close) {
      out.push(value());
      space();
      if (text[i] === ',') i++;
      else if (text[i] !== close) fail();
      space();
    }
    i++;
    return out;
  };
  const str = (): string => {
    const q = text[i++];
    let out = '';
    while (text[i] !== q) {
      if (i >= text.length || text[i] === '\n') fail();
      if (text[i] === '\\') {
        const e = text[++i];
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
        if (e in simple) out += simple[e];
        else if (e === 'x' || e === 'u') {
          const n = e === 'x' ? 2 : 4;
          out += String.fromCharCode(Number.parseInt(text.slice(i + 1, i + 1 + n), 16));
          i += n;
        } else out += `\\${e}`;
        i++;
      } else out += text[i++];
    }
    i++;
    return out;
  };
  const value = (): unknown => {
    space();
    const c = text[i];
    if (c === '[') {
      i++;
      return items(']');
    }
    if (c === '(') {
      i++;
      return tuple(...items(')'));
    }
    if (c === '{') {
      i++;
      const out: Record<string, unknown> = {};
      space();
      while (text[i] !== '}') {
        const key = value();
        if (typeof key !== 'string' && typeof key !== 'number') fail();
        expect(':');
        out[String(key)] = value();
        space();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail();
        space();
      }
      i++;
      return out;
    }
    if (c === "'" || c === '"') {
      let s = str();
      // Adjacent literals concatenate, as in Python.
      for (space(); text[i] === "'" || text[i] === '"'; space()) s += str();
      return s;
    }
    // JSON's true, false and null too, as Ansible's Json2Python reads them.
    const word = /^(?:True|False|None|true|false|null|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?![\w.])/.exec(text.slice(i));
    if (!word) fail();
    i += word![0].length;
    const names: Record<string, unknown> = { True: true, true: true, False: false, false: false, None: null, null: null };
    return word![0] in names ? names[word![0]] : Number(word![0]);
  };
  try {
    const result = value();
    space();
    return i === text.length ? { value: result } : undefined;
  } catch {
    return undefined;
  }
}

/** Python's `==`: lists and dicts by their items, True equal to 1, '1' not equal to 1. */
export function pythonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (typeof a === 'boolean' || typeof b === 'boolean') return (typeof a === 'number' || typeof b === 'number') && Number(a) === Number(b);
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => pythonEqual(x, b[i]));
  if (typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a as object);
    const vb = b as Record<string, unknown>;
    return ka.length === Object.keys(vb).length && ka.every((k) => k in vb && pythonEqual((a as Record<string, unknown>)[k], vb[k]));
  }
  // A string object (nunjucks' SafeString) against a string.
  return typeof a !== 'number' && typeof b !== 'number' && String(a) === String(b) && typeof a !== typeof b && (a instanceof String || b instanceof String);
}
