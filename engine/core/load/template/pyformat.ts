// Python's printf-style `format % args`, as Jinja2's format filter and the sequence lookup's
// format= use it: conversions s r a d i u o x X e E f F g G c and %, flags `-+ 0#`, width and
// precision, `%(name)s` keys from a mapping. What Python refuses throws in Python's words.
import { isDict, pythonRepr, pythonStr } from './pyrepr';

const SPEC = /%(?:\(([^)]*)\))?([-+ 0#]*)(\d+|\*)?(?:\.(\d+|\*))?([diouxXeEfFgGcrsa%])?/g;

function exponent(text: string): string {
  // JavaScript's 1e+5 is Python's 1e+05.
  return text.replace(/e([+-])(\d)$/, 'e$10$2');
}

function general(n: number, precision: number, alternate: boolean): string {
  const p = precision === 0 ? 1 : precision;
  const exp = n === 0 ? 0 : Math.floor(Math.log10(Math.abs(n)));
  const text = exp < -4 || exp >= p ? exponent(n.toExponential(p - 1)) : n.toFixed(Math.max(0, p - 1 - exp));
  // Without #, trailing zeros of the fraction go, and a point left alone.
  return alternate || !text.includes('.') ? text : text.replace(/(\.\d*?)0+(?=e|$)/, '$1').replace(/\.(?=e|$)/, '');
}

function numberOf(value: unknown, conversion: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return Number(value);
  throw new TypeError(`%${conversion} format: a real number is required, not ${typeof value === 'string' ? 'str' : isDict(value) ? 'dict' : 'list'}`);
}

/** One conversion's text, before width and padding. */
function converted(value: unknown, conversion: string, flags: string, precision: number | undefined): string {
  // Ansible's Undefined: its repr is harmless, anything else made of it raises (StrictUndefined).
  if (value === undefined) {
    if (conversion === 'r' || conversion === 'a') return 'AnsibleUndefined';
    throw new Error(`an undefined variable given to %${conversion}`);
  }
  if (conversion === 's') return precision === undefined ? pythonStr(value) : pythonStr(value).slice(0, precision);
  if (conversion === 'r' || conversion === 'a') return pythonRepr(value);
  if (conversion === 'c') return typeof value === 'string' ? value : String.fromCodePoint(numberOf(value, 'c'));
  const n = numberOf(value, conversion);
  const alternate = flags.includes('#');
  let digits: string;
  if ('diu'.includes(conversion)) digits = String(Math.trunc(Math.abs(n)));
  else if (conversion === 'o') digits = (alternate ? '0o' : '') + Math.trunc(Math.abs(n)).toString(8);
  else if (conversion === 'x' || conversion === 'X') digits = (alternate ? '0x' : '') + Math.trunc(Math.abs(n)).toString(16);
  else if ('eE'.includes(conversion)) digits = exponent(Math.abs(n).toExponential(precision ?? 6));
  else if ('fF'.includes(conversion)) digits = Math.abs(n).toFixed(precision ?? 6);
  else digits = general(Math.abs(n), precision ?? 6, alternate);
  if ('XEG'.includes(conversion)) digits = digits.toUpperCase();
  const sign = n < 0 || Object.is(n, -0) ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
  return sign + digits;
}

function padded(text: string, width: number, flags: string, numeric: boolean): string {
  if (text.length >= width) return text;
  if (flags.includes('-')) return text.padEnd(width);
  if (!flags.includes('0') || !numeric) return text.padStart(width);
  const sign = /^[-+ ]/.test(text) ? text[0] : '';
  const prefix = /^[-+ ]?(0[xXo])/.exec(text)?.[1] ?? '';
  const body = text.slice(sign.length + prefix.length);
  return sign + prefix + body.padStart(width - sign.length - prefix.length, '0');
}

/** `format % args`: args a list (a tuple's items) or one mapping for `%(key)s`. */
export function pythonFormat(format: string, args: unknown[]): string {
  const mapping = args.length === 1 && isDict(args[0]) ? args[0] : undefined;
  let next = 0;
  const take = () => {
    if (next >= args.length) throw new TypeError('not enough arguments for format string');
    return args[next++];
  };
  const out = format.replace(
    SPEC,
    (_whole, key: string | undefined, flags: string, width: string | undefined, precision: string | undefined, conversion: string | undefined) => {
      if (conversion === undefined) throw new TypeError('incomplete format');
      if (conversion === '%') return '%';
      const w = width === '*' ? Number(take()) : Number(width ?? 0);
      const p = precision === '*' ? Number(take()) : precision === undefined ? undefined : Number(precision);
      let value: unknown;
      if (key !== undefined) {
        if (!mapping) throw new TypeError('format requires a mapping');
        if (!(key in mapping)) throw new Error(`KeyError: '${key}'`);
        value = mapping[key];
      } else value = take();
      return padded(converted(value, conversion, flags, p), w, flags, !'srac'.includes(conversion));
    },
  );
  if (!mapping && next < args.length) throw new TypeError('not all arguments converted during string formatting');
  return out;
}
