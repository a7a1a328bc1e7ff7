// Editing a remote text file in memory: read, transform, diff, then one atomic write.
import type { Outcome } from '../types';
import { type Attrs, attrChanges, attrProperties, normalizeMode } from './attrs';
import { contentDiff } from './content';
import type { RemoteText } from './remote';
import { runStep, writeStep } from './steps';

export interface TextEdit extends Attrs {
  path: string;
  create?: boolean;
  backup?: boolean;
  validate?: string;
}

/**
 * `edit` returns the new text and a message; it gets '' for a missing file when create is set.
 * `missing`: the module's own words (Ansible's) for a file that is not there and may not be
 * created: lineinfile says Destination, blockinfile Path.
 */
export function planTextEdit(
  want: TextEdit,
  found: RemoteText,
  edit: (text: string) => { text: string; msg: string },
  missing = 'Destination',
  backupKey = 'backup',
): Outcome {
  if (want.validate !== undefined && !want.validate.includes('%s')) return { changed: false, failed: true, msg: `validate must contain %s: ${want.validate}` };
  if (found.text === undefined && !want.create) {
    const result = edit('');
    if (result.text === '') return { changed: false, msg: `${want.path} does not exist; nothing to remove` };
    return { changed: false, failed: true, msg: `${missing} ${want.path} does not exist ! (create: true creates it)`, result: { rc: 257 } };
  }
  const before = found.text ?? '';
  const { text: after, msg } = edit(before);
  const attrs = attrChanges(found.stat.exists ? found.stat : undefined, want, want.path, false, false, found.stat);
  const contentChanged = after !== before || !found.stat.exists;
  if (!contentChanged && !attrs.changed) return { changed: false, msg };
  return {
    changed: true,
    msg: contentChanged ? msg : `attributes differ (${attrs.after.join(', ')})`,
    diff: contentChanged ? [contentDiff(want.path, Buffer.from(before), Buffer.from(after), found.stat.exists)] : [],
    steps: contentChanged
      ? [
          writeStep(want.path, Buffer.from(after), {
            mode: normalizeMode(want.mode, found.stat),
            owner: want.owner,
            group: want.group,
            backup: want.backup,
            backupKey,
            validate: want.validate,
            // As Ansible's: a file created here gets its missing directories too.
            makeParents: !found.stat.exists,
          }),
        ]
      : [runStep(attrs.commands.join(' && '))],
  };
}

/** Splits into lines keeping track of whether the text ended with a newline. */
export function toLines(text: string): string[] {
  if (text === '') return [];
  return text.replace(/\n$/, '').split('\n');
}

export function fromLines(lines: string[]): string {
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** Arguments shared by the modules that edit a text file in place. */
export const textFileProperties = {
  path: { type: 'string', description: 'Remote file.' },
  state: { enum: ['present', 'absent'], description: 'Default present.' },
  insertafter: { type: 'string', description: 'EOF (default) or a regexp; insert after the last line it matches.' },
  insertbefore: { type: 'string', description: 'BOF or a regexp; insert before the last line it matches.' },
  create: { type: 'boolean', description: 'Create the file when missing.' },
  backup: { type: 'boolean', description: 'Keep a timestamped copy of the old file.' },
  validate: { type: 'string', description: 'Command to check the new file first; %s is its temporary path (the file is left as it was when it fails).' },
  ...attrProperties,
};
