// blockinfile: manage a block of lines between marker lines.
import type { Module } from './types';
import { type TextEdit, fromLines, insertionIndex, planTextEdit, textFileProperties, toLines } from './util/textedit';
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

/** The pure edit, exported for unit tests; a change says what Ansible's blockinfile says. */
export function editBlock(text: string, args: BlockArgs): { text: string; msg: string } {
  const marker = args.marker ?? '# {mark} ANSIBLE MANAGED BLOCK';
  const begin = marker.replace('{mark}', args.marker_begin ?? 'BEGIN');
  const end = marker.replace('{mark}', args.marker_end ?? 'END');
  const lines = toLines(text);
  const start = lines.indexOf(begin);
  const stop = start >= 0 ? lines.indexOf(end, start) : -1;
  const present = start >= 0 && stop >= 0;
  const body = args.block ? toLines(args.block.endsWith('\n') ? args.block : `${args.block}\n`) : [];
  if (args.state === 'absent' || body.length === 0) {
    if (!present) return { text, msg: 'block already absent' };
    lines.splice(start, stop - start + 1);
    return { text: fromLines(lines), msg: 'Block removed' };
  }
  const wanted = [begin, ...body, end];
  if (present) {
    const current = lines.slice(start, stop + 1);
    if (current.join('\n') === wanted.join('\n')) return { text, msg: 'block already present' };
    lines.splice(start, stop - start + 1, ...wanted);
    return { text: fromLines(lines), msg: 'Block inserted' };
  }
  const at = insertionIndex(lines, args);
  lines.splice(at, 0, ...wanted);
  return { text: fromLines(lines), msg: 'Block inserted' };
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
