// How Ansible reads a free-form command line (`command: make install chdir=/src creates=/x`):
// its words are split on spaces, re-joined where quotes or a Jinja2 block spanned them, lines
// joined where one ends in a lone backslash; the words that are the command's options come out,
// the rest, re-joined as written, is the command line. Written from ansible-core's
// parsing/splitter.py behaviour (split_args, join_args, parse_kv with check_raw).

/** The quote a token leaves open, given the one open before it (an escaped quote does not count). */
function quoteState(token: string, open: string | undefined): string | undefined {
  let quote = open;
  for (let i = 0; i < token.length; i++) {
    const char = token[i];
    if ((char === '"' || char === "'") && token[i - 1] !== '\\') {
      if (quote === undefined) quote = char;
      else if (char === quote) quote = undefined;
    }
  }
  return quote;
}

const count = (text: string, what: string) => text.split(what).length - 1;

/** How deep in `{{ }}` (or `{% %}`, `{# #}`) blocks a token leaves the line. */
function blockDepth(token: string, depth: number, open: string, close: string): number {
  const opened = count(token, open);
  const closed = count(token, close);
  return opened === closed ? depth : Math.max(0, depth + opened - closed);
}

interface SplitState {
  quote?: string;
  depths: [number, number, number];
}

const BLOCKS: [string, string][] = [
  ['{{', '}}'],
  ['{%', '%}'],
  ['{#', '#}'],
];

/** One space-separated token into the words so far. */
function addToken(words: string[], token: string, index: number, tokens: number, state: SplitState): void {
  const wasQuoted = state.quote !== undefined;
  state.quote = quoteState(token, state.quote);
  const quoted = state.quote !== undefined;
  const inBlock = state.depths.some((d) => d > 0);
  let appended = false;
  if (quoted && !wasQuoted && !inBlock) {
    words.push(token);
    appended = true;
  } else if (inBlock || quoted || wasQuoted) {
    if (index === 0 && wasQuoted) words[words.length - 1] += token;
    else if (tokens > 1) words[words.length - 1] += `${index > 0 ? ' ' : ''}${token}`;
    else words[words.length - 1] += `\n${token}`;
    appended = true;
  }
  BLOCKS.forEach(([open, close], i) => {
    const before = state.depths[i];
    state.depths[i] = blockDepth(token, before, open, close);
    if (state.depths[i] !== before && !appended) {
      words.push(token);
      appended = true;
    }
  });
  if (!appended && !quoted && token !== '' && state.depths.every((d) => d === 0)) words.push(token);
}

/** Ansible's split_args: the words of an argument string, quotes and Jinja2 blocks kept whole. */
export function splitArgs(args: string): string[] {
  const words: string[] = [];
  const state: SplitState = { depths: [0, 0, 0] };
  const lines = args.split('\n');
  lines.forEach((line, lineIndex) => {
    const tokens = line.split(' ');
    let continued = false;
    tokens.forEach((token, index) => {
      if (token === '' && index !== 0) {
        if (words.length) words[words.length - 1] += ' ';
        return;
      }
      if (token === '\\' && state.quote === undefined) {
        continued = true;
        return;
      }
      addToken(words, token, index, tokens.length, state);
    });
    if (lines.length > 1 && lineIndex !== lines.length - 1 && !continued && words.length) words[words.length - 1] += '\n';
  });
  if (state.quote !== undefined || state.depths.some((d) => d > 0)) {
    throw new Error(`failed at splitting arguments, either an unbalanced jinja2 block or quotes: ${args}`);
  }
  return words;
}

/** Ansible's join_args: words joined by a space, none after a newline. */
function joinArgs(words: string[]): string {
  return words.reduce((line, word) => (line === '' || line.endsWith('\n') ? line + word : `${line} ${word}`), '');
}

/** A value in matching quotes loses them (not when the closing one is escaped). */
function unquote(value: string): string {
  const quoted = value.length > 1 && value[0] === value.at(-1) && (value[0] === '"' || value[0] === "'") && value.at(-2) !== '\\';
  return quoted ? value.slice(1, -1) : value;
}

/** Python's string escapes, as parse_kv decodes them in a key=value word. */
// No octal: parse_kv leaves `\1` (a back-reference in a replace=) as it is.
const ESCAPE_SEQUENCE = /\\(?:U[0-9a-fA-F]{8}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[\\'"abfnrtv])/g;
const NAMED_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

function decodeEscapes(word: string): string {
  return word.replace(ESCAPE_SEQUENCE, (seq) => {
    const c = seq[1];
    if (c in NAMED_ESCAPES) return NAMED_ESCAPES[c];
    if ('\\\'"'.includes(c)) return c;
    return String.fromCodePoint(Number.parseInt(seq.slice(2), 16));
  });
}

/**
 * Ansible's parse_kv: `src=a dest="b c"` into options (quotes off the value, escapes decoded;
 * the key is what comes before the first `=` not escaped and not first); the other words, as
 * written, are the free-form part.
 */
export function parseKv(text: string): { options: Record<string, string>; raw: string[] } {
  const options: Record<string, string> = {};
  const raw: string[] = [];
  for (const word of splitArgs(text)) {
    const decoded = decodeEscapes(word);
    const at = /(?<!\\)=/.exec(decoded.slice(1));
    if (!decoded.includes('=')) raw.push(word);
    else if (!at) raw.push(decoded.replace(/\\=/g, '='));
    else options[decoded.slice(0, at.index + 1).trim()] = unquote(decoded.slice(at.index + 2).trim());
  }
  return { options, raw };
}

/** The options command and shell take inside their free-form line. */
const COMMAND_OPTIONS = new Set(['creates', 'removes', 'chdir', 'executable', 'warn', 'stdin', 'stdin_add_newline', 'strip_empty_ends']);

/** A free-form command line: its options (chdir=, creates= ... anywhere in it) and the command itself. */
export function parseCommandLine(text: string): { options: Record<string, string>; command: string } {
  const options: Record<string, string> = {};
  const rest: string[] = [];
  for (const word of splitArgs(text)) {
    const at = /(?<!\\)=/.exec(word.slice(1));
    const key = at ? word.slice(0, at.index + 1) : undefined;
    if (key !== undefined && COMMAND_OPTIONS.has(key)) options[key.trim()] = unquote(word.slice(key.length + 1).trim());
    else rest.push(key === undefined ? word.replace(/\\=/g, '=') : word);
  }
  return { options, command: joinArgs(rest) };
}
