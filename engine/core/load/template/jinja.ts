// Jinja2 syntax nunjucks reads differently, rewritten before nunjucks compiles it: Python slices,
// dict literals' closing braces inside `{{ }}`, and what a single `{{ expr }}` string holds.
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
export function singleExpression(text: string): string | undefined {
  if (!text.startsWith('{{') || !text.endsWith('}}')) return undefined;
  return scanTag(text, 2, '}}').end === text.length - 2 ? text.slice(2, -2) : undefined;
}

/**
 * nunjucks ends an expression at the first `}}`, even when it closes nested dict literals
 * (`{'a': {'b': 1}}`); Jinja2 balances braces. Inside {{ }} and {% %}, a dict's closing brace
 * followed by another one gets a space, so only the real end of the tag reads as `}}`.
 */
export function separateDictBraces(source: string): string {
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
export function withSlices(source: string): string {
  if (!source.includes(':')) return source;
  return source.replace(/\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g, (tag) =>
    tag.replace(SLICE, (_m, a: string, b: string) => `|__slice(${a || 'none'}, ${b || 'none'})`),
  );
}

/** A name, `]` or `)` followed by `.digits`: Jinja2's item access by attribute (`item.0`). */
const NUMERIC_ATTRIBUTE = /((?:^|\W)[A-Za-z_]\w*|[\])])\.(\d+)\b/g;

/**
 * Jinja2 reads `item.0` as `item[0]` (subelements and nested loops give pairs); nunjucks refuses
 * it. Inside {{ }} and {% %}, outside string literals, it becomes the subscript.
 */
export function numericAttributes(source: string): string {
  if (!/\.(?:\d|(?:null|none|true|false)\b)/i.test(source)) return source;
  return source.replace(/\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g, (tag) =>
    tag
      .split(/('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")/)
      .map((part, i) =>
        i % 2
          ? part
          : subscripted(part)
              // `foo.null`, `d.true`: attributes that nunjucks would read as its literals.
              .replace(LITERAL_ATTRIBUTE, (_m, owner: string, name: string) => `${owner}['${name}']`),
      )
      .join(''),
  );
}

/** `a.0.1` and `x.results.0`: each step, until none is left (`a.0` must become `a[0]` first). */
function subscripted(part: string): string {
  let before: string;
  let after = part;
  do {
    before = after;
    after = before.replace(NUMERIC_ATTRIBUTE, (_m, owner: string, index: string) => `${owner}[${index}]`);
  } while (after !== before);
  return after;
}

const LITERAL_ATTRIBUTE = /([\w\])])\.(null|none|true|false|None|True|False)\b/g;

/**
 * Jinja2's tuple literals (`(1, 2, 3)`, `()`, `('a',)`), which nunjucks cannot parse: inside
 * {{ }} and {% %}, outside strings, parentheses that are no call and hold a comma at their own
 * level (or nothing) become a call of the `__tuple` global.
 */
export function tupleLiterals(source: string): string {
  if (!source.includes('(')) return source;
  return source.replace(/\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g, (tag) => rewriteTuples(tag));
}

/** Words after which a parenthesis opens an expression, not a call's arguments. */
const KEYWORDS = new Set(['if', 'elif', 'in', 'and', 'or', 'not', 'is', 'else', 'for', 'set', 'return', 'with']);

function rewriteTuples(tag: string): string {
  const opens: { at: number; call: boolean; comma: boolean }[] = [];
  const marks = new Map<number, string>();
  let quote = '';
  for (let i = 0; i < tag.length; i++) {
    const c = tag[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '(' || c === '[' || c === '{') {
      const before = tag.slice(0, i).trimEnd();
      const word = /\w+$/.exec(before)?.[0];
      const call = c !== '(' || (word !== undefined ? !KEYWORDS.has(word) : /[)\]'"]$/.test(before));
      opens.push({ at: i, call, comma: false });
    } else if (c === ',' && opens.length) opens[opens.length - 1].comma = true;
    else if (c === ')' || c === ']' || c === '}') {
      const open = opens.pop();
      if (c !== ')' || !open || open.call) continue;
      if (!open.comma && tag.slice(open.at + 1, i).trim() !== '') continue;
      marks.set(open.at, '__tuple(');
      // `('a',)`: a call takes no trailing comma.
      const last = tag.slice(0, i).trimEnd();
      if (last.endsWith(',')) marks.set(last.length - 1, '');
    }
  }
  return [...tag].map((c, i) => marks.get(i) ?? c).join('');
}

/** Python's escapes nunjucks lacks, as the characters they stand for. */
const CHARACTER_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', v: '\v' };

/** One backslash escape of a string literal, as Python reads it, in a form nunjucks reads the same. */
function pythonEscape(sequence: string): string {
  const c = sequence[1];
  if ('\\\'"ntr'.includes(c)) return sequence;
  let char: string | undefined = CHARACTER_ESCAPES[c];
  if (/^\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})$/.test(sequence)) char = String.fromCodePoint(Number.parseInt(sequence.slice(2), 16));
  else if (/^\\[0-7]/.test(sequence)) char = String.fromCodePoint(Number.parseInt(sequence.slice(1), 8));
  // Python keeps an unknown escape (`'\d'` is backslash, d): nunjucks would drop the backslash.
  if (char === undefined) return `\\${sequence}`;
  return char === "'" || char === '"' || char === '\\' ? `\\${char}` : char;
}

/**
 * String literals in {{ }} and {% %} read as Python reads them: `'^q.*_\d'` keeps its backslash
 * (regexes in Ansible content rely on it), `'\x41'` is `A`.
 */
export function pythonStringEscapes(source: string): string {
  if (!source.includes('\\')) return source;
  return source.replace(/\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g, (tag) =>
    tag
      .split(/('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")/)
      .map((part, i) => (i % 2 ? part.replace(/\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|[\s\S])/g, pythonEscape) : part))
      .join(''),
  );
}

/**
 * Jinja2's argument unpacking in calls (`lookup('list', wantlist=True, *phrases)`, `f(**opts)`),
 * which nunjucks cannot parse: inside {{ }} and {% %}, outside strings, a `*` or `**` that opens
 * an argument wraps it in `__star(...)` or `__starstar(...)`; the call spreads them
 * (nunjucks.ts, spreadStarArguments).
 */
export function starArguments(source: string): string {
  if (!source.includes('*')) return source;
  return source.replace(/\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g, (tag) => rewriteStars(tag));
}

function rewriteStars(tag: string): string {
  let out = '';
  const pending: { depth: number }[] = [];
  let depth = 0;
  let quote = '';
  for (let i = 0; i < tag.length; i++) {
    const c = tag[i];
    if (quote) {
      // An escape is copied whole: its second character neither ends the string nor is read again.
      if (c === '\\') {
        out += c + (tag[i + 1] ?? '');
        i++;
      } else {
        if (c === quote) quote = '';
        out += c;
      }
      continue;
    }
    const argumentEnds = (c === ',' || c === ')') && pending.at(-1)?.depth === depth;
    if (argumentEnds) {
      pending.pop();
      out += ')';
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    if (c === '*' && /[(,]$/.test(out.trimEnd())) {
      const double = tag[i + 1] === '*';
      out += double ? '__starstar(' : '__star(';
      if (double) i++;
      pending.push({ depth });
      continue;
    }
    out += c;
  }
  return out;
}
