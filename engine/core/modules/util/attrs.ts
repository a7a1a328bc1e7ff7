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
 * 420 and is shown in octal; a string is octal (`'0644'`, `'644'`, `'0o644'`) or symbolic
 * (`u=rw,g=r,o=`, `+x`): a symbolic mode is applied to `base`, the path as it is or as it is
 * made, and the octal mode it gives is returned.
 */
export function normalizeMode(mode: string | number | undefined, base: ModeBase): string | undefined {
  if (mode === undefined || mode === null || mode === '') return undefined;
  const text = typeof mode === 'number' ? mode.toString(8) : mode.trim().replace(/^0o/i, '');
  if (/^[0-7]+$/.test(text)) {
    const bits = Number.parseInt(text, 8);
    if (bits > 0o7777) throw new ModuleError('Invalid mode supplied, only permission info is allowed', { details: bits });
    return bits.toString(8).padStart(4, '0');
  }
  try {
    return symbolicMode(text, base).toString(8).padStart(4, '0');
  } catch (err) {
    throw new ModuleError('mode must be in octal or symbolic form', { details: (err as Error).message });
  }
}

/** What a symbolic mode is applied to: a path's mode and kind, or those of one about to be made. */
export interface ModeBase {
  /** Octal text as stat prints it; none: the path is made (0666 or 0777, less the umask). */
  mode?: string;
  type?: RemoteStat['type'];
  umask?: number;
}

/** The host's umask where it was not read (a fixture): the usual one. */
const USUAL_UMASK = 0o022;

/**
 * chmod's symbolic modes as Ansible's AnsibleModule._symbolic_mode_to_octal reads them: clauses
 * `[ugoa]*([-+=][rwxXstugo]*)+`, no who meaning all less the umask; `u`, `g`, `o` as perms and
 * `X` read the mode the path had before any clause (Ansible's rule, not chmod's).
 */
/** One clause of a symbolic mode: who, then operators each with its perms. */
const SYMBOLIC_CLAUSE = /^([ugoa]*)((?:[-+=][rwxXstugo]*)+)$/;

/** Whether every comma-separated clause of spec is symbolic (chmod's and Ansible's syntax). */
export const isSymbolicMode = (spec: string) => spec.split(',').every((clause) => SYMBOLIC_CLAUSE.test(clause));

export function symbolicMode(spec: string, base: ModeBase): number {
  const umask = base.umask ?? USUAL_UMASK;
  const directory = base.type === 'directory';
  const before = base.mode === undefined ? (directory ? 0o777 : 0o666) & ~umask : Number.parseInt(base.mode, 8) & 0o7777;
  let mode = before;
  for (const clause of spec.split(',')) {
    const match = SYMBOLIC_CLAUSE.exec(clause);
    if (!match) throw new Error(`bad symbolic permission for mode: ${clause}`);
    const useUmask = match[1] === '';
    const who = match[1] === '' || match[1].includes('a') ? 'ugo' : match[1];
    for (const [, op, perms] of match[2].matchAll(/([-+=])([rwxXstugo]*)/g)) {
      for (const user of who) mode = applyOperation(user, op, permBits(user, perms, before, directory, useUmask ? umask : 0), mode);
    }
  }
  return mode;
}

const SHIFT: Record<string, number> = { u: 6, g: 3, o: 0 };

/** The bits `perms` stand for in user's class. */
function permBits(user: string, perms: string, before: number, directory: boolean, umask: number): number {
  const shift = SHIFT[user];
  const allowX = directory || (before & 0o111) > 0;
  let bits = 0;
  for (const perm of perms) {
    if (perm === 'r' || perm === 'w' || perm === 'x') bits |= ({ r: 4, w: 2, x: 1 }[perm] << shift) & ~umask;
    else if (perm === 'X') bits |= allowX ? 1 << shift : 0;
    else if (perm === 's') bits |= user === 'u' ? 0o4000 : user === 'g' ? 0o2000 : 0;
    else if (perm === 't') bits |= user === 'o' ? 0o1000 : 0;
    else bits |= ((before >> SHIFT[perm]) & 7) << shift;
  }
  return bits;
}

function applyOperation(user: string, op: string, bits: number, mode: number): number {
  if (op === '+') return mode | bits;
  if (op === '-') return mode & ~bits;
  const cleared = { u: 0o4700, g: 0o2070, o: 0o1007 }[user as 'u' | 'g' | 'o'];
  return (mode & ~cleared) | bits;
}

/** A mode as Ansible reports it: '0%03o' of the permission bits ('0644', '01777'). */
export const ansibleMode = (mode: string) => `0${(Number.parseInt(mode, 8) & 0o7777).toString(8).padStart(3, '0')}`;

/** Lines describing attribute changes, and the chmod/chown commands to make them. */
export function attrChanges(stat: RemoteStat | undefined, want: Attrs, path: string, recurse = false, linkItself = false, base: ModeBase | undefined = stat) {
  const before: string[] = [];
  const after: string[] = [];
  const commands: string[] = [];
  /** The same changes as Ansible's diff keys them: mode as '0%03o', owner and group (by name here). */
  const fields: { before: Record<string, string>; after: Record<string, string> } = { before: {}, after: {} };
  const r = `${recurse ? '-R ' : ''}${linkItself ? '-h ' : ''}`;
  const mode = normalizeMode(want.mode, base ?? {});
  // A symlink's own mode cannot be set on Linux (Ansible's follow: false leaves it too).
  if (mode && stat?.mode !== mode && !linkItself) {
    before.push(`mode: ${stat?.mode ?? '(none)'}`);
    after.push(`mode: ${mode}`);
    if (stat?.mode !== undefined) fields.before.mode = ansibleMode(stat.mode);
    fields.after.mode = ansibleMode(mode);
    // Recursively, a symbolic mode is each entry's own (X differs for files and directories): chmod's.
    const symbolic = recurse && typeof want.mode === 'string' && !/^(?:0o)?[0-7]+$/i.test(want.mode.trim());
    commands.push(`chmod ${r}${symbolic ? quote(String(want.mode).trim()) : mode} ${quotePath(path)}`);
  }
  if (want.owner && stat?.owner !== want.owner) {
    before.push(`owner: ${stat?.owner ?? '(none)'}`);
    after.push(`owner: ${want.owner}`);
    if (stat?.owner !== undefined) fields.before.owner = stat.owner;
    fields.after.owner = want.owner;
    commands.push(`chown ${r}${quote(checkName(want.owner, 'owner'))} ${quotePath(path)}`);
  }
  if (want.group && stat?.group !== want.group) {
    before.push(`group: ${stat?.group ?? '(none)'}`);
    after.push(`group: ${want.group}`);
    if (stat?.group !== undefined) fields.before.group = stat.group;
    fields.after.group = want.group;
    commands.push(`chgrp ${r}${quote(checkName(want.group, 'group'))} ${quotePath(path)}`);
  }
  return { changed: commands.length > 0, before, after, commands, fields };
}
