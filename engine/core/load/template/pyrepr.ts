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

/** Python's repr: what str() of a list or dict shows of its items. */
function pythonRepr(value: unknown): string {
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
