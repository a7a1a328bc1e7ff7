// Normalizes raw task mappings: finds the module, reads free-form arguments, checks them against
// the module's schema, and pushes block keywords (when, tags, vars, become...) down to tasks.
import { dirname, isAbsolute, join } from 'node:path';
import { InputError, suggestion, type SourcePos } from '../errors';
import { findModule, moduleNames } from '../modules';
import { ansibleModuleFor } from '../modules/ansible_module';
import type { Module } from '../modules/types';
import { parseCommandLine, parseKv } from './splitter';
import { taskKeywords } from '../schema/build';
import { hasLookup, lookupNames } from './template/lookups';
import { validate } from './validate';
import type { RoleInstance, Task, Vars } from './types';
import { loadYamlFile, positionOf } from './yaml';

const KEYWORDS = new Set(Object.keys(taskKeywords));
/** `with_items`, `with_dict`, ...: task keywords by their pattern. */
const WITH_LOOP = /^with_[a-z_]+$/;
const isKeyword = (k: string) => KEYWORDS.has(k) || WITH_LOOP.test(k);

export interface TaskContext {
  dir: string;
  role?: RoleInstance;
  /** Inherited from enclosing blocks, includes and plays. */
  inherited: Partial<Task>;
  /** Files being imported, to refuse import cycles. */
  importing: string[];
  /** Loads a role's tasks for import_role (provided by the role loader, avoids an import cycle). */
  importRole?: (name: string, tasksFrom: string | undefined, pos: SourcePos, ctx: TaskContext) => Task[];
}

/** A keyword that takes a list or a comma-separated string (tags, notify). */
export const list = (v: unknown): string[] =>
  v === undefined || v === null
    ? []
    : Array.isArray(v)
      ? v.map(String)
      : String(v)
          .split(',')
          .map((s) => s.trim());
const conditions = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

/** `src=a dest="b c"` into { src: 'a', dest: 'b c' }, as Ansible's parse_kv; words without = are the free-form part. */
export function parseKeyValue(text: string): { kv: Vars; rest: string[] } {
  try {
    const { options, raw } = parseKv(text);
    return { kv: options, rest: raw };
  } catch (err) {
    throw new InputError((err as Error).message);
  }
}

function moduleArgs(module: Module, raw: unknown, extra: Vars, pos: SourcePos): Vars {
  let args: Vars;
  if (raw === null || raw === undefined) args = {};
  else if (typeof raw === 'string') {
    if (module.freeForm === 'cmd') {
      // As Ansible reads it: chdir=, creates= ... anywhere are options, the rest is the command line.
      let line: ReturnType<typeof parseCommandLine>;
      try {
        line = parseCommandLine(raw);
      } catch (err) {
        throw new InputError((err as Error).message, pos, module.name);
      }
      args = { ...line.options, cmd: line.command };
    } else if (module.freeForm === 'kv') {
      const { kv, rest } = parseKeyValue(raw);
      // `include_vars: file.yml`: one bare word is the module's main argument (a folded scalar's newline off, as Ansible's).
      if (rest.length === 1 && module.bareWordArg && !(module.bareWordArg in kv)) kv[module.bareWordArg] = rest.pop()!.replace(/\n+$/, '');
      // add_host, group_by: as Ansible's, such words are the module's to judge when it runs.
      if (rest.length && module.rawParams) kv._raw_params = rest.join(' ');
      else if (rest.length) throw new InputError(`module '${module.name}' takes key=value arguments; cannot read '${rest.join(' ')}'`, pos, module.name);
      args = kv;
    } else throw new InputError(`module '${module.name}' needs a mapping of arguments`, pos, module.name);
  } else args = { ...(raw as Vars) };
  args = { ...extra, ...args };
  for (const [alias, target] of Object.entries(module.argAliases ?? {})) {
    if (alias in args) {
      if (!(target in args)) args[target] = args[alias];
      delete args[alias];
    }
  }
  return args;
}

/**
 * Argument names and required ones, checked now (types after templating). A problem does not
 * stop the load: as in Ansible, the task fails when it runs, and `engine validate` lists it.
 */
function argsProblem(module: Module, args: Vars, pos: SourcePos): InputError | undefined {
  const props = module.schema.properties;
  if (module.schema.additionalProperties !== false) return undefined;
  const unknown = Object.keys(args).find((key) => !(key in props));
  // An argument the module reads from a task variable (command's probe): say which variable.
  const fromVar = Object.entries(module.taskVars ?? {}).find(([, arg]) => arg === unknown)?.[0];
  const hint = fromVar ? `: it is the task variable '${fromVar}' (vars: { ${fromVar}: ... }), which ansible-playbook ignores` : undefined;
  if (unknown !== undefined)
    return new InputError(
      `unknown argument '${unknown}' for module '${module.name}'${hint ?? suggestion(unknown, Object.keys(props))}`,
      pos,
      `${module.name}.${unknown}`,
    );
  const missing = (module.schema.required ?? []).find((key) => !(key in args));
  return missing === undefined ? undefined : new InputError(`module '${module.name}' needs argument '${missing}'`, pos, module.name);
}

/** Where Ansible looks for a task's own modules: its role's library/, the playbook's, ANSIBLE_LIBRARY. */
function libraryDirs(ctx: { dir: string; role?: RoleInstance }): string[] {
  const configured = (process.env.ANSIBLE_LIBRARY ?? '').split(':').filter(Boolean);
  return [...(ctx.role ? [join(ctx.role.path, 'library')] : []), join(ctx.dir, 'library'), ...configured];
}

/** The engine's module of that name, else the one Ansible would run (through its module protocol). */
function moduleNamed(key: string, ctx: { dir: string; role?: RoleInstance }): { module?: Module; why?: string } {
  const own = findModule(key);
  return own ? { module: own } : ansibleModuleFor(key, libraryDirs(ctx));
}

/**
 * The module of `action:`/`local_action:` (Ansible's older form): 'name args...' or a mapping of
 * module: and the arguments; local_action runs it on the controller.
 */
function actionOf(raw: Vars, pos: SourcePos, ctx: TaskContext): { key: string; module: Module; args: unknown; local: boolean } | undefined {
  const keyword = raw.local_action !== undefined ? 'local_action' : raw.action !== undefined ? 'action' : undefined;
  if (keyword === undefined) return undefined;
  const where = positionOf(raw, keyword) ?? pos;
  if (raw.action !== undefined && raw.local_action !== undefined) throw new InputError('a task takes action or local_action, not both', where);
  const spec = raw[keyword];
  let key: string;
  let args: unknown;
  if (typeof spec === 'string') {
    const [name, ...rest] = spec.trim().split(/(\s+)/);
    key = name;
    args = rest.join('').trim() || null;
  } else {
    const { module: name, ...rest } = spec as Vars;
    key = String(name);
    args = rest;
  }
  const { module, why } = moduleNamed(key, ctx);
  if (!module) throw new InputError(`unknown module '${key}'${suggestion(key, moduleNames())}: ${why}`, where, keyword);
  return { key, module, args, local: keyword === 'local_action' };
}

function findModuleKey(raw: Vars, pos: SourcePos, ctx: TaskContext): { key?: string; module?: Module } {
  const candidates = Object.keys(raw).filter((k) => !isKeyword(k));
  // A known module among them: the others are misspelt keywords.
  const known = candidates.filter((k) => findModule(k));
  const stray = known.length === 1 ? candidates.find((k) => k !== known[0]) : undefined;
  if (stray) throw new InputError(`unknown task keyword '${stray}'${suggestion(stray, [...KEYWORDS])}`, positionOf(raw, stray) ?? pos, stray);
  if (candidates.length > 1) throw new InputError(`a task takes one module, found: ${candidates.join(', ')}`, pos);
  const key = candidates[0];
  if (key === undefined) return {};
  if (raw.action !== undefined || raw.local_action !== undefined)
    throw new InputError(`'${key}' cannot share a task with an action`, positionOf(raw, key) ?? pos, key);
  const { module, why } = moduleNamed(key, ctx);
  if (!module)
    throw new InputError(
      `unknown module or task keyword '${key}'${suggestion(key, [...moduleNames(), ...KEYWORDS])}: ${why}`,
      positionOf(raw, key) ?? pos,
      key,
    );
  return { key, module };
}

function base(raw: Vars, pos: SourcePos, ctx: TaskContext): Task {
  const up = ctx.inherited;
  const has = (k: string) => raw[k] !== undefined;
  return {
    name: raw.name !== undefined && raw.name !== null ? String(raw.name) : '',
    pos,
    dir: ctx.dir,
    role: ctx.role,
    args: {},
    when: [...(up.when ?? []), ...conditions(raw.when)],
    loopControl: (raw.loop_control as Task['loopControl']) ?? {},
    register: raw.register as string | undefined,
    notify: list(raw.notify),
    listen: list(raw.listen),
    tags: [...new Set([...(up.tags ?? []), ...list(raw.tags)])],
    vars: { ...(up.vars ?? {}), ...((raw.vars as Vars) ?? {}) },
    become: has('become') ? raw.become : up.become,
    becomeUser: has('become_user') ? raw.become_user : up.becomeUser,
    becomeMethod: has('become_method') ? raw.become_method : up.becomeMethod,
    remoteUser: has('remote_user') ? raw.remote_user : up.remoteUser,
    loopVars: up.loopVars,
    delegateTo: has('delegate_to') ? raw.delegate_to : up.delegateTo,
    runOnce: has('run_once') ? raw.run_once : up.runOnce,
    noLog: has('no_log') ? raw.no_log : up.noLog,
    checkMode: has('check_mode') ? raw.check_mode : up.checkMode,
    ignoreErrors: has('ignore_errors') ? raw.ignore_errors : up.ignoreErrors,
    ignoreUnreachable: has('ignore_unreachable') ? raw.ignore_unreachable : up.ignoreUnreachable,
    environment: has('environment') ? raw.environment : up.environment,
    anyErrorsFatal: has('any_errors_fatal') ? raw.any_errors_fatal : up.anyErrorsFatal,
    changedWhen: has('changed_when') ? conditions(raw.changed_when) : undefined,
    failedWhen: has('failed_when') ? conditions(raw.failed_when) : undefined,
    until: has('until') ? conditions(raw.until) : undefined,
    retries: raw.retries,
    delay: raw.delay,
    async: raw.async,
    poll: raw.poll,
    timeout: has('timeout') ? raw.timeout : up.timeout,
    throttle: has('throttle') ? raw.throttle : up.throttle,
    delegateFacts: has('delegate_facts') ? raw.delegate_facts : up.delegateFacts,
    diff: has('diff') ? raw.diff : up.diff,
  };
}

/** Keywords a block passes down to its tasks. */
const INHERITED = [
  'when',
  'tags',
  'vars',
  'become',
  'becomeUser',
  'remoteUser',
  'loopVars',
  'delegateTo',
  'runOnce',
  'noLog',
  'checkMode',
  'ignoreErrors',
  'ignoreUnreachable',
  'environment',
  'anyErrorsFatal',
  'timeout',
  'throttle',
  'delegateFacts',
  'diff',
] as const;

function inheritFrom(task: Task): Partial<Task> {
  return Object.fromEntries(INHERITED.map((keyword) => [keyword, task[keyword]]));
}

export function normalizeTasks(raw: unknown, ctx: TaskContext): Task[] {
  if (raw === null || raw === undefined) return [];
  return (raw as Vars[]).flatMap((item) => normalizeTask(item, ctx));
}

function normalizeTask(raw: Vars, ctx: TaskContext): Task[] {
  const pos = positionOf(raw) ?? { file: ctx.dir, line: 0, col: 0 };
  const task = base(raw, pos, ctx);
  const child = (c: TaskContext['inherited']) => ({ ...ctx, inherited: c });
  const { key, module } = findModuleKey(raw, pos, ctx);
  const structural = ['block', 'import_tasks', 'import_role', 'include_tasks', 'include_role', 'meta'].find(
    (k) => raw[k] !== undefined || raw[`ansible.builtin.${k}`] !== undefined,
  );
  if (key && structural) throw new InputError(`'${key}' cannot share a task with '${structural}'`, positionOf(raw, key) ?? pos, key);
  if (raw.block !== undefined) {
    const inner = child(inheritFrom(task));
    return [{ ...task, block: normalizeTasks(raw.block, inner), rescue: normalizeTasks(raw.rescue, inner), always: normalizeTasks(raw.always, inner) }];
  }
  const get = (k: string) => raw[k] ?? raw[`ansible.builtin.${k}`];
  if (get('import_tasks') !== undefined) {
    const file = resolveTaskFile(String(get('import_tasks')), ctx, pos);
    if (ctx.importing.includes(file)) throw new InputError(`import cycle: ${[...ctx.importing, file].join(' -> ')}`, pos);
    return loadTaskFile(file, { ...child(inheritFrom(task)), dir: dirname(file), importing: [...ctx.importing, file] });
  }
  if (get('import_role') !== undefined) {
    const spec = get('import_role') as Vars;
    if (!ctx.importRole) throw new InputError('import_role is not available here', pos);
    return ctx.importRole(String(spec.name), spec.tasks_from as string | undefined, pos, child(inheritFrom(task)));
  }
  if (get('include_tasks') !== undefined) {
    const spec = get('include_tasks');
    const file = typeof spec === 'string' ? spec : String((spec as Vars).file);
    return [{ ...task, name: task.name || `include_tasks ${file}`, include: { kind: 'include_tasks', file }, ...loopOf(raw, pos) }];
  }
  if (get('include_role') !== undefined) {
    const spec = get('include_role') as Vars;
    return [
      {
        ...task,
        name: task.name || `include_role ${spec.name}`,
        include: { kind: 'include_role', role: String(spec.name), tasksFrom: spec.tasks_from as string | undefined },
        ...loopOf(raw, pos),
      },
    ];
  }
  if (get('meta') !== undefined) return [{ ...task, name: task.name || `meta: ${get('meta')}`, meta: String(get('meta')) }];
  const action = actionOf(raw, pos, ctx);
  if (action)
    return [
      moduleTask(
        raw,
        { ...task, ...(action.local ? { delegateTo: 'localhost' } : {}) },
        action.module,
        action.key,
        action.args,
        positionOf(raw, action.local ? 'local_action' : 'action') ?? pos,
      ),
    ];
  if (!module) throw new InputError('task has no module (and no block or include)', pos, task.name || undefined);
  return [moduleTask(raw, task, module, key!, raw[key!], positionOf(raw, key!) ?? pos)];
}

function moduleTask(raw: Vars, task: Task, module: Module, key: string, rawArgs: unknown, pos: SourcePos): Task {
  const args = moduleArgs(module, rawArgs, (raw.args as Vars) ?? {}, pos);
  const problem = argsProblem(module, args, pos);
  return {
    ...task,
    name: task.name || `${module.name}`,
    module,
    moduleName: key,
    args,
    ...(problem ? { argsProblem: problem } : {}),
    ...loopOf(raw, task.pos),
  };
}

/** `loop:`, or one `with_<lookup>:` (a loop over what that lookup returns). */
function loopOf(raw: Vars, pos: SourcePos): Partial<Task> {
  const withs = Object.keys(raw).filter((k) => WITH_LOOP.test(k));
  if (withs.length + (raw.loop !== undefined ? 1 : 0) > 1)
    throw new InputError(`a task takes one loop, found: ${[...(raw.loop !== undefined ? ['loop'] : []), ...withs].join(', ')}`, pos);
  if (raw.loop !== undefined) return { loop: raw.loop };
  if (!withs.length) return {};
  const lookup = withs[0].slice('with_'.length);
  if (!hasLookup(lookup))
    throw new InputError(
      `${withs[0]}: neither the engine (${lookupNames.join(', ')}) nor Ansible has a lookup '${lookup}'`,
      positionOf(raw, withs[0]) ?? pos,
      withs[0],
    );
  return { loop: raw[withs[0]], loopLookup: lookup };
}

export function resolveTaskFile(name: string, ctx: { dir: string; role?: RoleInstance }, pos: SourcePos): string {
  if (isAbsolute(name)) return name;
  const candidates = [join(ctx.dir, name), ...(ctx.role ? [join(ctx.role.path, 'tasks', name)] : [])];
  const { existsSync } = require('node:fs') as typeof import('node:fs');
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new InputError(`task file not found: ${name} (looked in ${candidates.join(', ')})`, pos);
  return found;
}

/** Loads a task file (role tasks, handlers, included files), validated against the schema. */
export function loadTaskFile(file: string, ctx: TaskContext, pos?: SourcePos): Task[] {
  const { data, src } = loadYamlFile(file, pos);
  validate('tasks', data ?? [], src);
  return normalizeTasks(data, { ...ctx, dir: dirname(file) });
}
