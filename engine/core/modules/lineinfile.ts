// lineinfile: make sure one line is present (or absent), matched by regexp, search_string or
// exact text; the edit follows Ansible's lineinfile case by case, as its integration target does.
import type { Module } from './types';
import { type TextEdit, planTextEdit, textFileProperties } from './util/textedit';
import { textQuery } from './util/remote';
import { pythonExpand, pythonRegExp } from '../pyregex';

interface LineArgs extends TextEdit {
  line?: string;
  regexp?: string;
  search_string?: string;
  state?: 'present' | 'absent';
  insertafter?: string;
  insertbefore?: string;
  backrefs?: boolean;
  firstmatch?: boolean;
}

/** Python's readlines: each line keeps its '\n'; the last one may have none. */
const readLines = (text: string): string[] => text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
/** A line without its end (Python's rstrip('\r\n')). */
const bare = (line: string): string => line.replace(/[\r\n]+$/, '');
/** What a regexp is searched in: the line without its '\n', where Python's `$` would match too. */
const searchable = (line: string): string => line.replace(/\n$/, '');
const ended = (line: string): boolean => /[\r\n]$/.test(line);

/** Where the regexp or search_string matched: the line's index and, for a regexp, its match. */
function findMatch(lines: string[], args: LineArgs): { index: number; match?: RegExpExecArray } {
  const re = args.regexp !== undefined ? pythonRegExp(args.regexp) : undefined;
  let found: { index: number; match?: RegExpExecArray } = { index: -1 };
  if (!re && args.search_string === undefined) return found;
  for (const [index, line] of lines.entries()) {
    const match = re?.exec(searchable(line)) ?? undefined;
    if (re ? !match : !line.includes(args.search_string as string)) continue;
    found = { index, match };
    if (args.firstmatch) break;
  }
  return found;
}

/** Without a match: the exact line's index, and where insertafter/insertbefore would put it. */
function findPlace(lines: string[], args: LineArgs, line: string): { exact: number; at: number } {
  const pattern =
    args.insertafter !== undefined && !['BOF', 'EOF'].includes(args.insertafter)
      ? args.insertafter
      : args.insertbefore !== 'BOF'
        ? args.insertbefore
        : undefined;
  const re = pattern !== undefined ? pythonRegExp(pattern) : undefined;
  let exact = -1;
  let at = -1;
  for (const [index, current] of lines.entries()) {
    if (bare(current) === line) exact = index;
    else if (re?.test(searchable(current))) {
      at = args.insertafter ? index + 1 : index;
      if (args.firstmatch) break;
    }
  }
  return { exact, at };
}

/** state=present as Ansible's: replace the matched line, else insert it where asked. */
function present(lines: string[], args: LineArgs): string {
  const line = args.line ?? '';
  const { index, match } = findMatch(lines, args);
  const place = index === -1 ? findPlace(lines, args, line) : { exact: -1, at: -1 };
  const target = index !== -1 ? index : place.exact;
  if (target !== -1) {
    let wanted = args.backrefs && match ? pythonExpand(match, line) : line;
    if (!wanted.endsWith('\n')) wanted += '\n';
    if (lines[target] === wanted) return '';
    lines[target] = wanted;
    return 'line replaced';
  }
  if (args.backrefs) return '';
  const { at } = place;
  if (args.insertbefore === 'BOF' || args.insertafter === 'BOF') {
    lines.unshift(`${line}\n`);
    return 'line added';
  }
  if (args.insertafter === 'EOF' || (args.insertafter === undefined && args.insertbefore === undefined) || at === -1) {
    if (lines.length && !ended(lines[lines.length - 1])) lines.push('\n');
    lines.push(`${line}\n`);
    return 'line added';
  }
  if (args.insertafter) {
    const neighbour = at === lines.length ? lines[at - 1] : lines[at];
    if (bare(neighbour) === line) return '';
    lines.splice(at, 0, `${line}\n`);
    return 'line added';
  }
  lines.splice(at, 0, `${line}\n`);
  return 'line added';
}

/** state=absent: every line the regexp, search_string or exact line matches goes. */
function absent(lines: string[], args: LineArgs): { kept: string[]; removed: number } {
  const re = args.regexp !== undefined ? pythonRegExp(args.regexp) : undefined;
  const matches = (current: string) =>
    re ? re.test(searchable(current)) : args.search_string !== undefined ? current.includes(args.search_string) : bare(current) === args.line;
  const kept = lines.filter((current) => !matches(current));
  return { kept, removed: lines.length - kept.length };
}

/** The pure edit, exported for unit tests; messages are Ansible's ('' when nothing changes). */
export function editLine(text: string, args: LineArgs): { text: string; msg: string } {
  const lines = readLines(text);
  if (args.state === 'absent') {
    const { kept, removed } = absent(lines, args);
    return removed ? { text: kept.join(''), msg: `${removed} line(s) removed` } : { text, msg: '' };
  }
  const msg = present(lines, args);
  return { text: msg ? lines.join('') : text, msg };
}

/** Argument combinations Ansible's lineinfile refuses, in its words. */
function refusal(args: LineArgs): string | undefined {
  for (const [a, b] of [
    ['insertbefore', 'insertafter'],
    ['regexp', 'search_string'],
    ['backrefs', 'search_string'],
  ] as const) {
    if (args[a] !== undefined && args[b] !== undefined) return `parameters are mutually exclusive: ${a}|${b}`;
  }
  if (args.state === 'absent') {
    return args.regexp === undefined && args.search_string === undefined && args.line === undefined
      ? 'one of line, search_string, or regexp is required with state=absent'
      : undefined;
  }
  if (args.backrefs && args.regexp === undefined) return 'regexp is required with backrefs=true';
  if (args.line === undefined) return 'line is required with state=present';
  return undefined;
}

/** Ansible's warning for an empty regexp or search_string, which matches every line. */
function emptyPatternWarning(args: LineArgs): string | undefined {
  const name = args.regexp === '' ? 'regular expression' : args.search_string === '' ? 'search string' : undefined;
  if (!name) return undefined;
  const hint = args.regexp === '' ? " If this is desired, use '^' to match every line in the file and avoid this warning." : '';
  return `The ${name} is an empty string, which will match every line in the file. This may have unintended consequences, such as replacing the last line in the file rather than appending.${hint}`;
}

export const lineinfile: Module<LineArgs> = {
  name: 'lineinfile',
  freeForm: 'kv',
  argAliases: { dest: 'path', destfile: 'path', name: 'path', regex: 'regexp', value: 'line' },
  schema: {
    type: 'object',
    description: 'Ensures a single line is present in a text file, replacing the last line that matches regexp, or absent.',
    properties: {
      ...textFileProperties,
      line: { type: 'string', description: 'The line to insert or replace with.' },
      regexp: { type: 'string', description: 'Regular expression selecting the line to replace or remove.' },
      search_string: { type: 'string', description: 'Literal text selecting the line to replace or remove.' },
      backrefs: { type: 'boolean', description: 'Use regexp groups in line; do nothing if regexp does not match.' },
      firstmatch: { type: 'boolean', description: 'Use the first line regexp, search_string or insertafter/insertbefore matches instead of the last.' },
    },
    required: ['path'],
    additionalProperties: false,
  },
  probe: (args) => textQuery(args.path),
  plan(args, found) {
    const refused = refusal(args);
    if (refused) return { changed: false, failed: true, msg: refused };
    const planned = planTextEdit(args, found, (text) => editLine(text, args));
    const warning = emptyPatternWarning(args);
    return warning ? { ...planned, result: { ...planned.result, warnings: [warning] } } : planned;
  },
};
