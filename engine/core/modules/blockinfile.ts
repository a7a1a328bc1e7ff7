// blockinfile: manage a block of lines between marker lines.
import type { Module } from './types';
import { type TextEdit, planTextEdit, textFileProperties } from './util/textedit';
import { pythonRegExp } from '../pyregex';
import { textQuery } from './util/remote';

interface BlockArgs extends TextEdit {
  block?: string;
  marker?: string;
  marker_begin?: string;
  marker_end?: string;
  state?: 'present' | 'absent';
  insertafter?: string;
  insertbefore?: string;
}

/** Python's splitlines(True): each line keeps its end (\n, \r\n or \r). */
const splitLines = (text: string): string[] => text.match(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/g) ?? [];

/**
 * Where a new block goes, as Ansible's blockinfile finds it: after (before) the last line the
 * pattern matches, or, for a multi-line pattern ((?m)), after (before) its first match in the
 * whole text; the end of the file when nothing matches.
 */
function insertionLine(text: string, lines: string[], args: BlockArgs): number {
  const after = args.insertafter ?? (args.insertbefore === undefined ? 'EOF' : undefined);
  const pattern =
    after !== undefined && after !== 'EOF' ? after : args.insertbefore !== undefined && args.insertbefore !== 'BOF' ? args.insertbefore : undefined;
  if (pattern === undefined) return after === undefined ? 0 : lines.length;
  const re = pythonRegExp(pattern);
  let at: number | undefined;
  if (re.multiline) {
    const match = re.exec(text);
    if (match) at = (text.slice(0, after !== undefined ? match.index + match[0].length : match.index).match(/\n/g) ?? []).length;
  } else {
    // Python's `$` matches before a line's end too.
    for (const [index, line] of lines.entries()) if (re.test(line.replace(/\r?\n$/, ''))) at = index;
  }
  if (at === undefined) return lines.length;
  return after !== undefined ? at + 1 : at;
}

/** The pure edit, exported for unit tests; a change says what Ansible's blockinfile says. */
export function editBlock(text: string, args: BlockArgs): { text: string; msg: string } {
  const marker = args.marker ?? '# {mark} ANSIBLE MANAGED BLOCK';
  const begin = `${marker.replaceAll('{mark}', args.marker_begin ?? 'BEGIN')}\n`;
  const end = `${marker.replaceAll('{mark}', args.marker_end ?? 'END')}\n`;
  const lines = splitLines(text);
  const block = args.state === 'absent' ? '' : (args.block ?? '');
  const wanted = block ? [begin, ...splitLines(block.endsWith('\n') ? block : `${block}\n`), end] : [];
  const first = lines.lastIndexOf(begin);
  const last = lines.lastIndexOf(end);
  let at: number;
  if (first === -1 || last === -1) at = insertionLine(text, lines, args);
  else {
    at = Math.min(first, last);
    lines.splice(at, Math.abs(last - first) + 1);
  }
  if (at > 0 && !lines[at - 1].endsWith('\n')) lines[at - 1] += '\n';
  lines.splice(at, 0, ...wanted);
  const after = lines.join('');
  if (after === text) return { text, msg: '' };
  return { text: after, msg: wanted.length ? 'Block inserted' : 'Block removed' };
}

export const blockinfile: Module<BlockArgs> = {
  name: 'blockinfile',
  freeForm: 'kv',
  argAliases: { dest: 'path', destfile: 'path', name: 'path', content: 'block' },
  schema: {
    type: 'object',
    description: 'Inserts, updates or removes a block of lines surrounded by marker lines.',
    properties: {
      ...textFileProperties,
      block: { type: 'string', description: 'The lines to put between the markers (empty removes the block).' },
      marker: { type: 'string', description: "Marker template; {mark} becomes BEGIN/END. Default '# {mark} ANSIBLE MANAGED BLOCK'." },
      marker_begin: { type: 'string', description: 'Replaces {mark} in the first marker (default BEGIN).' },
      marker_end: { type: 'string', description: 'Replaces {mark} in the last marker (default END).' },
    },
    required: ['path'],
    additionalProperties: false,
  },
  probe: (args) => textQuery(args.path),
  plan: (args, found) => {
    const out = planTextEdit(args, found, (text) => editBlock(text, args), 'Path', 'backup_file');
    // As Ansible's: a file this makes says so.
    return out.changed && !found.stat.exists ? { ...out, msg: 'File created' } : out;
  },
};
