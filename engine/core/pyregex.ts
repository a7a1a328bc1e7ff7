// Python's regular expressions as JavaScript reads them, for the patterns Ansible content writes:
// a leading inline flag group (`(?m)`, `(?i)`, `(?s)`), named groups `(?P<name>...)` and their
// back-references `(?P=name)`.
/** Text matched as itself in a regular expression: each character with a meaning escaped. */
export function regExpLiteral(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function pythonRegExp(source: string, flags = ''): RegExp {
  let pattern = source;
  let all = flags;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(pattern);
  if (inline) {
    pattern = pattern.slice(inline[0].length);
    for (const flag of inline[1]) if ('ims'.includes(flag) && !all.includes(flag)) all += flag;
  }
  pattern = pattern.replace(/\(\?P<(\w+)>/g, '(?<$1>').replace(/\(\?P=(\w+)\)/g, '\\k<$1>');
  if (!all.includes('m')) pattern = pythonDollar(pattern);
  try {
    return new RegExp(pattern, all);
  } catch (err) {
    throw new SyntaxError(pythonReason((err as Error).message));
  }
}

/**
 * Python's `$` (without MULTILINE) also matches before a final newline, JavaScript's only at the
 * very end: each `$` outside a character class and not escaped becomes a lookahead for that.
 */
function pythonDollar(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      out += ch + (pattern[i + 1] ?? '');
      i++;
    } else if (inClass) {
      if (ch === ']') inClass = false;
      out += ch;
    } else if (ch === '[') {
      inClass = true;
      out += ch;
      if (pattern[i + 1] === '^') out += pattern[++i];
      if (pattern[i + 1] === ']') out += pattern[++i];
    } else out += ch === '$' ? '(?=\\n?$)' : ch;
  }
  return out;
}

/** Python's re wording of what JavaScript found wrong with a pattern (content tests for it). */
const REASONS: [RegExp, string][] = [
  [/Nothing to repeat/i, 'nothing to repeat'],
  [/Unterminated group/i, 'missing ), unterminated subpattern'],
  [/Unmatched '\)'/i, 'unbalanced parenthesis'],
  [/Unterminated character class/i, 'unterminated character set'],
];

function pythonReason(message: string): string {
  return REASONS.find(([js]) => js.test(message))?.[1] ?? message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', a: '\x07', b: '\b', '\\': '\\' };

/**
 * Python's match.expand(template): \1..\99, \g<1>, \g<name> and the escapes \n, \t ...; a
 * group that did not take part is ''. Unknown escapes of letters are Python's errors.
 */
export function pythonExpand(match: RegExpExecArray, template: string): string {
  return template.replace(/\\(?:g<(\w+)>|([1-9]\d?)|(.))/gs, (whole, named: string, digits: string, other: string) => {
    const key = named ?? digits;
    if (key !== undefined) return groupText(match, key);
    if (other in ESCAPES) return ESCAPES[other];
    if (/[A-Za-z]/.test(other)) throw new Error(`bad escape \\${other}`);
    return whole;
  });
}

function groupText(match: RegExpExecArray, key: string): string {
  const numbered = /^\d+$/.test(key);
  const known = numbered ? Number(key) < match.length : match.groups !== undefined && key in match.groups;
  if (!known) throw new Error(`invalid group reference ${key}`);
  return (numbered ? match[Number(key)] : match.groups?.[key]) ?? '';
}
