// Playbooks: a list of plays (or import_playbook), validated, with roles and tasks loaded.
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { InputError, type SourcePos } from '../errors';
import { toBool } from './filters';
import { validate } from './validate';
import { importRoleFor, loadRole, type RoleLoader, roleSpec } from './roles';
import { list, normalizeTasks, type TaskContext } from './tasks';
import type { Play, Playbook, Task, Vars } from './types';
import { loadYamlFile, positionOf } from './yaml';

/**
 * The play's strategy. Under free, run_once has no one host to run on (each host is at its own
 * task): refused at load rather than run once per host.
 */
function freeStrategy(raw: Vars, tasks: Task[]): Play['strategy'] {
  if (raw.strategy !== 'free') return 'linear';
  const all = (list: Task[]): Task[] => list.flatMap((t) => [t, ...all([...(t.block ?? []), ...(t.rescue ?? []), ...(t.always ?? [])])]);
  const once = all(tasks).find((t) => t.runOnce !== undefined && t.runOnce !== false);
  if (once) throw new InputError('run_once in a play with strategy: free: each host is at a task of its own; use strategy: linear', once.pos, 'run_once');
  return 'free';
}

function loadPlay(raw: Vars, dir: string, pos: SourcePos): Play {
  const tags = list(raw.tags);
  const inherited: Partial<Task> = {
    tags,
    become: raw.become,
    becomeUser: raw.become_user,
    becomeMethod: raw.become_method,
    noLog: raw.no_log,
    ignoreErrors: raw.ignore_errors,
    ignoreUnreachable: raw.ignore_unreachable,
    environment: raw.environment,
    checkMode: raw.check_mode,
    anyErrorsFatal: raw.any_errors_fatal,
  };
  const loader: RoleLoader & { handlers: Task[] } = { playbookDir: dir, seen: new Map(), handlers: [] };
  const ctx: TaskContext = { dir, inherited, importing: [], importRole: importRoleFor(loader) };
  const roles = ((raw.roles as unknown[]) ?? []).flatMap((entry) => loadRole(roleSpec(entry, pos), loader, inherited));
  const tasks = (key: string) => normalizeTasks(raw[key], ctx);
  const preTasks = tasks('pre_tasks');
  const playTasks = tasks('tasks');
  const postTasks = tasks('post_tasks');
  const handlers = [...roles.flatMap((r) => r.handlers), ...loader.handlers, ...normalizeTasks(raw.handlers, { ...ctx, inherited: {} })];
  const maxFail = raw.max_fail_percentage;
  return {
    name: String(raw.name ?? raw.hosts ?? ''),
    pos,
    hosts: (raw.hosts as string | string[]) ?? [],
    vars: (raw.vars as Vars) ?? {},
    varsFiles: ((raw.vars_files as string[]) ?? []).map((f, i) => ({ path: f, pos: positionOf(raw.vars_files as object, i) ?? pos })),
    varsPrompt: ((raw.vars_prompt as Vars[]) ?? []).map((p, i) => ({
      name: String(p.name),
      prompt: String(p.prompt ?? p.name),
      default: p.default,
      // Ansible's default: what is typed is not shown.
      private: p.private === undefined ? true : toBool(p.private),
      confirm: toBool(p.confirm ?? false),
      pos: positionOf(raw.vars_prompt as object, i) ?? pos,
    })),
    roles: roles.map((r) => r.instance),
    preTasks,
    tasks: [...roles.flatMap((r) => r.tasks), ...playTasks],
    postTasks,
    handlers,
    serial: raw.serial,
    become: raw.become,
    becomeUser: raw.become_user,
    becomeMethod: raw.become_method,
    gatherFacts: raw.gather_facts === undefined ? true : [true, 'yes', 'true', 'True'].includes(raw.gather_facts as string),
    anyErrorsFatal: [true, 'yes', 'true', 'True'].includes(raw.any_errors_fatal as string),
    maxFailPercentage: maxFail === undefined ? undefined : Number(String(maxFail).replace('%', '')),
    order: raw.order as Play['order'],
    strategy: freeStrategy(raw, [...preTasks, ...playTasks, ...postTasks, ...roles.flatMap((r) => r.tasks)]),
    tags,
    environment: raw.environment,
    checkMode: raw.check_mode,
    remoteUser: raw.remote_user as string | undefined,
    connection: raw.connection as string | undefined,
    dir,
  };
}

export function loadPlaybook(file: string, trail: string[] = []): Playbook {
  const path = resolve(file);
  if (trail.includes(path)) throw new InputError(`import_playbook cycle: ${[...trail, path].join(' -> ')}`);
  const { data, src } = loadYamlFile(file);
  if (data === null || data === undefined) throw new InputError('playbook is empty: expected a list of plays', { file, line: 1, col: 1 });
  validate('playbook', data, src);
  const dir = dirname(path);
  const plays: Play[] = [];
  for (const raw of data as Vars[]) {
    const pos = positionOf(raw) ?? { file, line: 1, col: 1 };
    if (raw.import_playbook !== undefined) {
      const target = String(raw.import_playbook);
      plays.push(...loadPlaybook(isAbsolute(target) ? target : join(dir, target), [...trail, path]).plays);
      continue;
    }
    if (raw.hosts === undefined) throw new InputError("a play needs 'hosts'", pos, 'hosts');
    plays.push(loadPlay(raw, dir, pos));
  }
  return { file, dir, plays };
}
