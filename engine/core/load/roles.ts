// Roles: roles/NAME/{tasks,handlers,defaults,vars,templates,files,meta}/ with meta dependencies.
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ansibleSettings } from './ansible-cfg';
import { InputError, type SourcePos } from '../errors';
import { loadTaskFile, type TaskContext } from './tasks';
import type { RoleInstance, Task, Vars } from './types';
import { loadYamlFile, positionOf } from './yaml';

/** Where roles are looked up: beside the playbook, one level up (repo layout), then cwd. */
function rolePaths(playbookDir: string): string[] {
  return [...new Set([join(playbookDir, 'roles'), join(playbookDir, '..', 'roles'), ...ansibleSettings().rolesPath, resolve('roles')])];
}

function findRole(name: string, playbookDir: string, pos?: SourcePos): string {
  // As in Ansible, a role named by a path is that directory (relative to the playbook).
  if (name.includes('/')) {
    const path = resolve(playbookDir, name);
    if (!existsSync(path)) throw new InputError(`role '${name}' not found (no directory ${path})`, pos);
    return path;
  }
  const paths = rolePaths(playbookDir);
  const found = paths.map((p) => join(p, name)).find((p) => existsSync(p));
  if (!found) throw new InputError(`role '${name}' not found (looked in ${paths.join(', ')})`, pos);
  return found;
}

function mainFile(path: string, sub: string, base = 'main'): string | undefined {
  return [join(path, sub, `${base}.yml`), join(path, sub, `${base}.yaml`), join(path, sub, base)].find((f) => existsSync(f));
}

function varsFile(path: string, sub: string, base?: string): Vars {
  const file = mainFile(path, sub, base);
  if (!file) return {};
  const { data } = loadYamlFile(file);
  if (data !== null && data !== undefined && (typeof data !== 'object' || Array.isArray(data)))
    throw new InputError('must be a mapping of variables', { file, line: 1, col: 1 });
  return (data as Vars) ?? {};
}

export interface LoadedRole {
  instance: RoleInstance;
  tasks: Task[];
  handlers: Task[];
}

export interface RoleLoader {
  playbookDir: string;
  /** Roles already loaded in this play with the same params: they run once (like Ansible). */
  seen: Map<string, LoadedRole>;
}

interface RoleSpec {
  name: string;
  params: Vars;
  tags: string[];
  when: unknown[];
  pos?: SourcePos;
}

export function roleSpec(entry: unknown, fallback?: SourcePos): RoleSpec {
  if (typeof entry === 'string') return { name: entry, params: {}, tags: [], when: [], pos: fallback };
  const e = entry as Vars;
  const { role, name, vars, tags, when, ...rest } = e;
  const params = { ...(vars as Vars), ...rest };
  delete params.become;
  delete params.become_user;
  return {
    name: String(role ?? name),
    params,
    tags: tags === undefined ? [] : Array.isArray(tags) ? tags.map(String) : [String(tags)],
    when: when === undefined ? [] : Array.isArray(when) ? when : [when],
    pos: positionOf(e) ?? fallback,
  };
}

/**
 * Loads a role with its dependencies first; the dependency chain ends with the role itself.
 * `parent`: the role whose task includes or imports this one.
 */
export function loadRole(
  spec: RoleSpec,
  loader: RoleLoader,
  inherited: Partial<Task>,
  trail: string[] = [],
  tasksFrom?: string,
  parent?: RoleInstance,
): LoadedRole[] {
  if (trail.includes(spec.name)) throw new InputError(`role dependency cycle: ${[...trail, spec.name].join(' -> ')}`, spec.pos);
  const key = `${spec.name}\0${JSON.stringify(spec.params)}\0${tasksFrom ?? ''}`;
  const seen = loader.seen.get(key);
  if (seen) return [];
  const path = findRole(spec.name, loader.playbookDir, spec.pos);
  const meta = mainFile(path, 'meta');
  const deps: LoadedRole[] = [];
  const chain: string[] = [];
  const own: Partial<Task> = { ...inherited, tags: [...(inherited.tags ?? []), ...spec.tags], when: [...(inherited.when ?? []), ...spec.when] };
  if (meta) {
    const { data } = loadYamlFile(meta);
    for (const dep of ((data as Vars)?.dependencies as unknown[]) ?? []) {
      const loaded = loadRole(roleSpec(dep, positionOf(data as object)), loader, own, [...trail, spec.name]);
      for (const l of loaded) l.instance.dependency = true;
      deps.push(...loaded);
      chain.push(...loaded.map((l) => l.instance.name));
    }
  }
  const instance: RoleInstance = {
    // A role named by its path is called by its directory's name, as in Ansible.
    name: basename(path),
    path,
    defaults: varsFile(path, 'defaults'),
    vars: varsFile(path, 'vars'),
    params: spec.params,
    chain: [...new Set([...chain, spec.name])],
    parents: parent ? [{ name: parent.name, path: parent.path }, ...parent.parents] : [],
  };
  // Variables of the dependencies are visible to the role that depends on them.
  for (const dep of deps) {
    instance.defaults = { ...dep.instance.defaults, ...instance.defaults };
    instance.vars = { ...dep.instance.vars, ...instance.vars };
  }
  const ctx: TaskContext = { dir: join(path, 'tasks'), role: instance, inherited: own, importing: [], importRole: importRoleFor(loader) };
  const tasksFile = mainFile(path, 'tasks', tasksFrom?.replace(/\.ya?ml$/, ''));
  if (tasksFrom && !tasksFile) throw new InputError(`role '${spec.name}' has no tasks file '${tasksFrom}'`, spec.pos);
  const handlersFile = mainFile(path, 'handlers');
  const loaded: LoadedRole = {
    instance,
    tasks: tasksFile ? loadTaskFile(tasksFile, ctx) : [],
    handlers: handlersFile ? loadTaskFile(handlersFile, { ...ctx, dir: dirname(handlersFile), inherited: {} }) : [],
  };
  loader.seen.set(key, loaded);
  return [...deps, loaded];
}

/**
 * import_role inside a task list: the role's tasks inline, its handlers registered with the play.
 * Unlike the play's roles, an imported role runs each time it is imported.
 */
export function importRoleFor(loader: RoleLoader & { handlers?: Task[] }) {
  return (name: string, tasksFrom: string | undefined, pos: SourcePos, ctx: TaskContext): Task[] => {
    const loaded = loadRole({ name, params: {}, tags: [], when: [], pos }, { ...loader, seen: new Map() }, ctx.inherited, [], tasksFrom, ctx.role);
    loader.handlers?.push(...loaded.flatMap((l) => l.handlers));
    return loaded.flatMap((l) => l.tasks);
  };
}
