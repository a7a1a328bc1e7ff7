// replace: every match of a Python regexp in a remote file replaced (backreferences as Python's
// \1, \g<name>), optionally only between `after` and `before`, as Ansible's replace module.
import { pythonExpand, pythonRegExp } from '../pyregex';
import type { Module, Outcome } from './types';
import { attrProperties } from './util/attrs';
import type { RemoteText } from './util/remote';
import { textQuery } from './util/remote';
import { type TextEdit, planTextEdit } from './util/textedit';

interface ReplaceArgs extends TextEdit {
  regexp: string;
  replace?: string;
  after?: string;
  before?: string;
}

/** Python's re.subn(pattern, template, text) with re.MULTILINE: the new text and the count. */
function substitute(text: string, regexp: string, template: string): { text: string; count: number } {
  const re = pythonRegExp(regexp, 'gm');
  let out = '';
  let last = 0;
  let count = 0;
  for (let match = re.exec(text); match; match = re.exec(text)) {
    out += text.slice(last, match.index) + pythonExpand(match, template);
    last = match.index + match[0].length;
    count++;
    // An empty match moves on one character, as Python's (and JavaScript's) replace-all does.
    if (match[0] === '') re.lastIndex++;
  }
  return { text: out + text.slice(last), count };
}

/** Ansible's pattern of the part between `after` and `before` (none: the whole text). */
function sectionPattern(args: ReplaceArgs): string | undefined {
  if (args.after && args.before) return `${args.after}(?P<subsection>.*?)${args.before}`;
  if (args.after) return `${args.after}(?P<subsection>.*)`;
  if (args.before) return `(?P<subsection>.*)${args.before}`;
  return undefined;
}

/** The pure edit, exported for unit tests; its messages are Ansible's. */
export function replaceIn(text: string, args: ReplaceArgs): { text: string; msg: string } | { unmatched: string } {
  const pattern = sectionPattern(args);
  let part = { start: 0, end: text.length };
  if (pattern !== undefined) {
    // DOTALL, as Ansible's; the d flag gives the subsection's offsets.
    const at = pythonRegExp(pattern, 'sd').exec(text)?.indices?.groups?.subsection;
    if (!at) return { unmatched: `Pattern for before/after params did not match the given file: ${pattern}` };
    part = { start: at[0], end: at[1] };
  }
  const old = text.slice(part.start, part.end);
  const { text: replaced, count } = substitute(old, args.regexp, args.replace ?? '');
  if (count === 0 || replaced === old) return { text, msg: '' };
  return { text: text.slice(0, part.start) + replaced + text.slice(part.end), msg: `${count} replacements made` };
}

function planReplace(args: ReplaceArgs, found: RemoteText): Outcome {
  if (found.text === undefined) return { changed: false, failed: true, msg: `Path ${args.path} does not exist !`, result: { rc: 257 } };
  const edit = replaceIn(found.text, args);
  if ('unmatched' in edit) return { changed: false, msg: edit.unmatched, result: { rc: 0 } };
  const out = planTextEdit(args, found, () => edit, 'Path', 'backup_file');
  return { ...out, result: { rc: 0, ...out.result } };
}

export const replace: Module<ReplaceArgs, RemoteText> = {
  name: 'replace',
  freeForm: 'kv',
  argAliases: { dest: 'path', destfile: 'path', name: 'path' },
  schema: {
    type: 'object',
    description: 'Replaces every match of a regexp (Python syntax, MULTILINE) in a file, optionally only between after and before.',
    properties: {
      path: { type: 'string', description: 'The remote file (it must exist).' },
      regexp: { type: 'string', description: 'What to replace: a Python regular expression, ^ and $ at each line.' },
      replace: { type: 'string', description: "What replaces it, with \\1 or \\g<name> for groups (default '': delete)." },
      after: { type: 'string', description: 'Only after the first match of this regexp.' },
      before: { type: 'string', description: 'Only before the (first, with after: following) match of this regexp.' },
      backup: { type: 'boolean', description: 'Keep a timestamped copy of the old file (backup_file in the result).' },
      validate: { type: 'string', description: 'Command to check the new file first; %s is its temporary path.' },
      encoding: { enum: ['utf-8', 'utf8'], description: 'The file is read as UTF-8.' },
      ...attrProperties,
    },
    required: ['path', 'regexp'],
    additionalProperties: false,
  },
  probe: (args) => textQuery(args.path),
  plan: planReplace,
};
