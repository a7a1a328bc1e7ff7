// mode/owner/group: the shared attribute fragment of file-like modules, with its own diff lines.
import { quote, quotePath } from '../../connection/quote';
import { checkName } from './names';
import { ModuleError } from '../types';
import type { RemoteStat } from './remote';

export const attrProperties = {
  mode: { type: ['string', 'integer'], description: "Octal permissions: '0644' or '644' (quote it in YAML)." },
  owner: { type: 'string', description: 'Owner user name.' },
  group: { type: 'string', description: 'Owner group name.' },
  // Ansible's SELinux file arguments: ignored on a host without SELinux, refused on one with it (run/task.ts).
  seuser: { type: 'string', description: 'SELinux user (ignored where SELinux is off; the engine sets no contexts).' },
  serole: { type: 'string', description: 'SELinux role (ignored where SELinux is off).' },
  setype: { type: 'string', description: 'SELinux type (ignored where SELinux is off).' },
  selevel: { type: 'string', description: 'SELinux level (ignored where SELinux is off).' },
};

export interface Attrs {
  mode?: string | number;
  owner?: string;
  group?: string;
}

/**
 * Playbooks are read as YAML 1.1 like Ansible does, so an unquoted 0644 arrives as the number
 * 420 and is shown in octal; strings must already be octal.
 */
export function normalizeMode(mode: string | number | undefined): string | undefined {
  if (mode === undefined || mode === null || mode === '') return undefined;
  const text = typeof mode === 'number' ? mode.toString(8) : mode.trim();
  if (!/^[0-7]{3,4}$/.test(text)) throw new ModuleError(`mode '${mode}' is not an octal mode like '0644'`);
  return text.padStart(4, '0');
}

/** Lines describing attribute changes, and the chmod/chown commands to make them. */
export function attrChanges(stat: RemoteStat | undefined, want: Attrs, path: string, recurse = false, linkItself = false) {
  const before: string[] = [];
  const after: string[] = [];
  const commands: string[] = [];
  const r = `${recurse ? '-R ' : ''}${linkItself ? '-h ' : ''}`;
  const mode = normalizeMode(want.mode);
  // A symlink's own mode cannot be set on Linux (Ansible's follow: false leaves it too).
  if (mode && stat?.mode !== mode && !linkItself) {
    before.push(`mode: ${stat?.mode ?? '(none)'}`);
    after.push(`mode: ${mode}`);
    commands.push(`chmod ${r}${mode} ${quotePath(path)}`);
  }
  if (want.owner && stat?.owner !== want.owner) {
    before.push(`owner: ${stat?.owner ?? '(none)'}`);
    after.push(`owner: ${want.owner}`);
    commands.push(`chown ${r}${quote(checkName(want.owner, 'owner'))} ${quotePath(path)}`);
  }
  if (want.group && stat?.group !== want.group) {
    before.push(`group: ${stat?.group ?? '(none)'}`);
    after.push(`group: ${want.group}`);
    commands.push(`chgrp ${r}${quote(checkName(want.group, 'group'))} ${quotePath(path)}`);
  }
  return { changed: commands.length > 0, before, after, commands };
}
