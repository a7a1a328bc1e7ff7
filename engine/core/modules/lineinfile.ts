// lineinfile: make sure one line is present (or absent), matched by regexp or exact text.
import type { Module } from './types';
import { type TextEdit, fromLines, insertionIndex, planTextEdit, textFileProperties, toLines } from './util/textedit';
import { textQuery } from './util/remote';
import { pythonRegExp } from '../pyregex';

interface LineArgs extends TextEdit {
  line?: string;
  regexp?: string;
  search_string?: string;
  state?: 'present' | 'absent';
  insertafter?: string;
  insertbefore?: string;
  backrefs?: boolean;
}

/** The pure edit, exported for unit tests. */
export function editLine(text: string, args: LineArgs): { text: string; msg: string } {
  const lines = toLines(text);
  const matcher =
    args.regexp !== undefined
      ? (
          (re) => (l: string) =>
            re.test(l)
        )(pythonRegExp(args.regexp))
      : args.search_string !== undefined
        ? (l: string) => l.includes(args.search_string!)
        : (l: string) => l === args.line;
  if (args.state === 'absent') {
    const kept = lines.filter((l) => !matcher(l));
    const removed = lines.length - kept.length;
    return { text: removed ? fromLines(kept) : text, msg: removed ? `${removed} line(s) removed` : 'line already absent' };
  }
  const line = args.line ?? '';
  const last = lines.map(matcher).lastIndexOf(true);
  if (last >= 0) {
    const wanted = args.backrefs && args.regexp ? lines[last].replace(pythonRegExp(args.regexp), line) : line;
    if (lines[last] === wanted) return { text, msg: 'line already present' };
    lines[last] = wanted;
    return { text: fromLines(lines), msg: 'line replaced' };
  }
  if (args.backrefs) return { text, msg: 'regexp did not match; nothing to do (backrefs)' };
  if (args.regexp !== undefined && lines.includes(line)) return { text, msg: 'line already present' };
  lines.splice(insertionIndex(lines, args), 0, line);
  return { text: fromLines(lines), msg: 'line added' };
}

export const lineinfile: Module<LineArgs> = {
  name: 'lineinfile',
  freeForm: 'kv',
  argAliases: { dest: 'path', destfile: 'path', name: 'path' },
  schema: {
    type: 'object',
    description: 'Ensures a single line is present in a text file, replacing the last line that matches regexp, or absent.',
    properties: {
      ...textFileProperties,
      line: { type: 'string', description: 'The line to insert or replace with.' },
      regexp: { type: 'string', description: 'Regular expression selecting the line to replace or remove.' },
      search_string: { type: 'string', description: 'Literal text selecting the line to replace or remove.' },
      backrefs: { type: 'boolean', description: 'Use regexp groups in line; do nothing if regexp does not match.' },
    },
    required: ['path'],
    additionalProperties: false,
  },
  probe: (args) => textQuery(args.path),
  plan(args, found) {
    if (args.state !== 'absent' && args.line === undefined) return { changed: false, failed: true, msg: 'state=present needs line' };
    return planTextEdit(args, found, (text) => editLine(text, args));
  },
};
