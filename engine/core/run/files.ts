// Finds the local files a task refers to: the role's files/, templates/ or vars/ first, then the
// directory of the task file, then the playbook's, as Ansible searches them.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { InputError } from '../errors';
import type { Task } from '../load/types';

export function findLocal(kind: 'files' | 'templates' | 'vars', name: string, task: Task, playbookDir: string): string {
  if (isAbsolute(name)) {
    if (existsSync(name)) return name;
    throw new InputError(`${kind} file not found: ${name}`, task.pos);
  }
  const roots = [task.role?.path, task.dir, join(task.dir, '..'), playbookDir].filter((r): r is string => Boolean(r));
  const candidates = [...new Set(roots.flatMap((r) => [join(r, kind, name), join(r, name)]))];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new InputError(`${kind} file '${name}' not found (looked in ${candidates.join(', ')})`, task.pos);
  return found;
}

/** A controller path a task names (fetch's dest): `~` is the controller user's home, a relative path is the playbook's. */
export function localPath(path: string, playbookDir: string): string {
  const expanded = path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
  return resolve(playbookDir, expanded);
}
