// Runs plays the way Ansible's linear strategy does: each task on all active hosts of the batch
// in parallel (up to --forks), then the next task; blocks with rescue/always; handlers at the
// flush points; serial batches; any_errors_fatal and max_fail_percentage.
import { InputError } from '../errors';
import { importRoleFor, loadRole } from '../load/roles';
import { loadTaskFile, resolveTaskFile } from '../load/tasks';
import type { Play, Task, Vars } from '../load/types';
import { playHosts } from '../plan/patterns';
import { serialBatches } from '../plan/serial';
import { selectTasks, startingAt } from '../plan/tags';
import { include_vars } from '../modules/include_vars';
import { setup } from '../modules/setup';
import { type HostState, isActive, newHost, type PlayRun, type RunContext } from './state';
import { failureOf, loopItems, loopVarsOf, type Result, runTaskOnHost, statusOf } from './task';
import { runLimited } from './pool';
import type { TaskValues } from './values';
import { taskValues } from './vars';
import { markUnsafe } from '../load/template/scope';
import { loadVarsFiles } from '../plan/vars-files';
import { toBool } from '../load/filters';

function count(host: HostState, status: ReturnType<typeof statusOf>, task?: Task): void {
  if (status === 'changed') {
    host.stats.changed++;
    host.stats.ok++;
    if (task) host.changes.push({ role: task.role?.name, task: task.name });
  } else if (status === 'warning') {
    host.stats.warnings++;
    host.stats.ok++;
  } else if (status === 'ok') host.stats.ok++;
  else if (status === 'skipped') host.stats.skipped++;
  else if (status === 'ignored') host.stats.ignored++;
  else if (status === 'unreachable') host.stats.unreachable++;
}

/** Records a failure: counted now, or held for the rescue of an enclosing block (which reads what failed). */
function fail(host: HostState, task: Task, result: Result): void {
  host.failed = true;
  if (host.rescueDepth > 0) {
    host.pendingFailure = true;
    host.lastFailure = { task: { name: task.name, action: task.moduleName ?? task.module?.name }, result };
  } else host.stats.failed++;
}

/** set_fact values are final (rendered once, at the task); include_vars files stay templates. */
function setHostFacts(host: HostState, facts: Vars, final: boolean): void {
  for (const [name, value] of Object.entries(facts)) {
    host.hostFacts[name] = value;
    if (final) host.dataNames.add(name);
    else host.dataNames.delete(name);
  }
}

/** The host a task's facts belong to: the delegated one with delegate_facts, else its own. */
function factsHost(play: PlayRun, host: HostState, result: Result, values: TaskValues): HostState {
  const delegated = result.delegated_to as string | undefined;
  if (!delegated || !values.flag('delegate_facts', values.task.delegateFacts)) return host;
  if (!play.run.inventory.hostVars.has(delegated)) return host;
  if (!play.run.hosts.has(delegated)) play.run.hosts.set(delegated, newHost(delegated));
  return play.run.hosts.get(delegated)!;
}

/** What a task's result leaves on a host: the registered variable, facts, notified handlers. */
function absorb(play: PlayRun, host: HostState, task: Task, result: Result, facts: Vars[], changed: boolean, given?: TaskValues): void {
  const values = given ?? taskValues(play, host, task);
  if (task.register) {
    host.hostFacts[task.register] = markUnsafe(result);
    host.dataNames.add(task.register);
  }
  const owner = facts.length ? factsHost(play, host, result, values) : host;
  for (const f of facts) {
    const { ansible_facts: gathered, ...rest } = f as { ansible_facts?: Vars };
    if (gathered && task.module === setup) Object.assign(owner.facts, gathered);
    else {
      // Another module's facts (getent, service_facts): as Ansible keeps them, under ansible_facts
      // (without an ansible_ prefix) and as variables of their own names.
      if (gathered) for (const [name, value] of Object.entries(gathered)) owner.facts[name.replace(/^ansible_/, '')] = value;
      setHostFacts(owner, { ...gathered, ...rest }, task.module !== include_vars);
    }
  }
  if (!changed || !task.notify.length) return;
  for (const name of task.notify) host.notified.add(values.text('notify', name));
}

/** Status and counters after a task finished on a host, plus what the result leaves behind. */
function settle(play: PlayRun, host: HostState, task: Task, result: Result, facts: Vars[], given?: TaskValues): ReturnType<typeof statusOf> {
  const values = given ?? taskValues(play, host, task);
  const status = statusOf(result, !result.unreachable && values.flag('ignore_errors', task.ignoreErrors));
  absorb(play, host, task, result, facts, status === 'changed', values);
  // ignore_unreachable: the host stays in the play (as in Ansible it counts as ok and ignored).
  if (status === 'unreachable' && values.flag('ignore_unreachable', task.ignoreUnreachable)) {
    host.stats.ok++;
    host.stats.ignored++;
    return 'ignored';
  }
  if (status === 'unreachable') host.unreachable = true;
  if (status === 'failed') fail(host, task, result);
  else if (status === 'ignored') {
    // As Ansible's recap: an ignored failure counts as ok too, and as changed when it changed.
    count(host, 'ignored');
    count(host, result.changed ? 'changed' : 'ok', task);
  } else count(host, status, task);
  return status;
}

/** settle(), where a keyword that cannot be evaluated (undefined variable) fails this host only. */
function settleSafely(play: PlayRun, host: HostState, task: Task, result: Result, facts: Vars[], values?: TaskValues): ReturnType<typeof statusOf> {
  try {
    return settle(play, host, task, result, facts, values);
  } catch (err) {
    return failOn(play, host, task, err);
  }
}

/** An error met while running a task on a host fails that host, reported like a task result. */
function failOn(play: PlayRun, host: HostState, task: Task, err: unknown): 'failed' {
  const result = failureOf(err);
  play.run.reporter.emit({ kind: 'host_result', task: task.name, host: host.name, status: 'failed', msg: String(result.msg) });
  fail(host, task, result);
  return 'failed';
}

function batchHosts(play: PlayRun): HostState[] {
  return play.lane.map((h) => play.run.hosts.get(h)!).filter(isActive);
}

/** A task keyword evaluated once for the whole task (with the first host's variables). */
function taskWide(play: PlayRun, task: Task, hosts: HostState[], value: unknown, name: string): unknown {
  if (value === undefined || !hosts.length) return undefined;
  return taskValues(play, hosts[0], task).value(name, value);
}

/** How many hosts run the task at once: --forks, lowered by the task's throttle. */
function concurrency(play: PlayRun, task: Task, hosts: HostState[], targets: number): number {
  const forks = play.run.options.forks ?? targets;
  const throttle = taskWide(play, task, hosts, task.throttle, 'throttle');
  if (throttle === undefined) return forks;
  const n = Number(throttle);
  if (!Number.isInteger(n) || n < 0) throw new InputError(`throttle must be a whole number, got '${String(throttle)}'`, task.pos, 'throttle');
  return n === 0 ? forks : Math.min(forks, n);
}

async function runSimpleTask(play: PlayRun, task: Task, hosts: HostState[], handler = false): Promise<void> {
  const { run } = play;
  const runOnce = task.module?.runsOnce === true || toBool(taskWide(play, task, hosts, task.runOnce, 'run_once') ?? false);
  const targets = runOnce ? hosts.slice(0, 1) : hosts;
  run.reporter.emit({ kind: 'task_start', name: task.name, role: task.role?.name, hosts: targets.map((h) => h.name), handler });
  let anyFailed = false;
  await runLimited(
    targets.map((h) => h.name),
    concurrency(play, task, hosts, targets.length),
    async (name) => {
      if (run.interrupted) return;
      const host = run.hosts.get(name)!;
      run.reporter.emit({ kind: 'host_start', task: task.name, host: name });
      const { result, facts, values } = await runTaskOnHost(play, host, task);
      const status = settleSafely(play, host, task, result, facts, values);
      if (status === 'failed') anyFailed = true;
      // run_once: the one result counts for the host that ran it and is shared with the others;
      // as in Ansible, its failure fails them all.
      if (runOnce) {
        for (const other of hosts.slice(1)) {
          absorb(play, other, task, result, facts, status === 'changed');
          if (status === 'failed') fail(other, task, result);
        }
      }
    },
  );
  await run.reporter.emit({ kind: 'task_end', name: task.name });
  const fatal = task.anyErrorsFatal !== undefined ? toBool(task.anyErrorsFatal) : play.play.anyErrorsFatal;
  if (anyFailed && fatal && !hosts.some((h) => h.rescueDepth > 0)) stopRun(play);
  checkMaxFail(play);
}

/** This play ends, and so does the playbook (no later batch, no later play). */
function stopRun(play: PlayRun): void {
  play.aborted = true;
  play.run.stopped = true;
}

function checkMaxFail(play: PlayRun): void {
  const max = play.play.maxFailPercentage;
  if (max === undefined) return;
  const failed = play.batch.filter((h) => {
    const s = play.run.hosts.get(h)!;
    return s.failed || s.unreachable;
  }).length;
  if ((failed / play.batch.length) * 100 > max) stopRun(play);
}

type IncludeGroups = Map<string, { tasks: () => Task[]; hosts: HostState[] }>;

/**
 * Adds a host to the groups of hosts that resolve the include to the same file, once per loop
 * item (each item's tasks see it as their loop variable), or skips it. An include_tasks counts
 * as ok for each file it includes, as in Ansible's recap.
 */
function addToIncludeGroup(play: PlayRun, task: Task, host: HostState, groups: IncludeGroups): void {
  const values = taskValues(play, host, task);
  const items = loopItems(values);
  if (items === undefined) {
    addOneInclude(play, task, host, values, groups);
    return;
  }
  if (!items.length) count(host, 'skipped');
  for (const [index, item] of items.entries()) addOneInclude(play, task, host, values, groups, { index, vars: loopVarsOf(values, items, index, item) });
}

function addOneInclude(play: PlayRun, task: Task, host: HostState, taskValues: TaskValues, groups: IncludeGroups, item?: { index: number; vars: Vars }): void {
  const values = item ? taskValues.with(item.vars) : taskValues;
  if (!values.all('when', task.when)) {
    count(host, 'skipped');
    return;
  }
  const itemKey = item ? `#${item.index}` : '';
  const loopVars = item ? { ...task.loopVars, ...item.vars } : task.loopVars;
  const inherited = {
    tags: task.tags,
    when: [],
    vars: task.vars,
    loopVars,
    become: task.become,
    becomeUser: task.becomeUser,
    becomeMethod: task.becomeMethod,
    remoteUser: task.remoteUser,
    environment: task.environment,
    noLog: task.noLog,
    ignoreErrors: task.ignoreErrors,
  };
  const inc = task.include!;
  if (inc.kind === 'include_tasks') {
    const file = resolveTaskFile(values.text('include_tasks', inc.file), task, task.pos);
    count(host, 'ok');
    play.run.reporter.emit({ kind: 'host_result', task: task.name, host: host.name, status: 'ok', msg: `included: ${file}` });
    const key = `tasks:${file}${itemKey}`;
    if (!groups.has(key))
      groups.set(key, {
        tasks: () => {
          const importRole = importRoleFor({ playbookDir: play.run.playbookDir, seen: new Map(), handlers: play.play.handlers });
          return loadTaskFile(file, { dir: task.dir, role: task.role, inherited, importing: [], importRole }, task.pos);
        },
        hosts: [],
      });
    groups.get(key)!.hosts.push(host);
  } else {
    const name = values.text('include_role', inc.role);
    const tasksFrom = inc.tasksFrom === undefined ? undefined : values.text('tasks_from', inc.tasksFrom);
    const key = `role:${name}:${tasksFrom ?? ''}${itemKey}`;
    if (!groups.has(key))
      groups.set(key, {
        tasks: () => {
          const loaded = loadRole(
            { name, params: {}, tags: [], when: [], pos: task.pos },
            { playbookDir: play.run.playbookDir, seen: new Map() },
            inherited,
            [],
            tasksFrom,
            task.role,
          );
          play.play.handlers.push(...loaded.flatMap((l) => l.handlers));
          return loaded.flatMap((l) => l.tasks);
        },
        hosts: [],
      });
    groups.get(key)!.hosts.push(host);
  }
}

async function runInclude(play: PlayRun, task: Task, hosts: HostState[]): Promise<void> {
  // Hosts that resolve the include to the same file run it together, so ordering stays linear.
  const groups: IncludeGroups = new Map();
  for (const host of hosts) {
    try {
      addToIncludeGroup(play, task, host, groups);
    } catch (err) {
      failOn(play, host, task, err);
    }
  }
  for (const group of groups.values()) {
    // The include itself was selected; what it brings in (another role's tasks too) is part of
    // it, so --role does not filter it out again. Tags still do.
    let tasks: Task[];
    try {
      tasks = selectTasks(group.tasks(), { ...play.run.options, role: undefined });
    } catch (err) {
      // A broken included file fails the hosts that include it, as any other task error would.
      for (const h of group.hosts) failOn(play, h, task, err);
      continue;
    }
    await runTasks(play, tasks, group.hosts);
  }
}

async function runBlock(play: PlayRun, task: Task, hosts: HostState[]): Promise<void> {
  const hasRescue = (task.rescue?.length ?? 0) > 0;
  if (hasRescue) for (const h of hosts) h.rescueDepth++;
  await runTasks(play, task.block ?? [], hosts);
  if (hasRescue) for (const h of hosts) h.rescueDepth--;
  const rescued = hosts.filter((h) => h.pendingFailure && !h.unreachable && h.rescueDepth === 0);
  for (const h of rescued) {
    h.pendingFailure = false;
    h.failed = false;
    h.stats.rescued++;
    // What the rescue may read of the failure, as in Ansible.
    setHostFacts(h, { ansible_failed_task: h.lastFailure?.task, ansible_failed_result: h.lastFailure?.result }, true);
  }
  if (rescued.length) await runTasks(play, task.rescue ?? [], rescued);
  if (task.always?.length) {
    const wasFailed = hosts.filter((h) => h.failed && !h.unreachable);
    for (const h of wasFailed) h.failed = false;
    await runTasks(
      play,
      task.always,
      hosts.filter((h) => !h.unreachable && !h.ended),
    );
    for (const h of wasFailed) h.failed = true;
  }
}

/** The hosts whose `when` holds for a meta task; one whose condition cannot be judged fails. */
function metaHosts(play: PlayRun, task: Task, hosts: HostState[]): HostState[] {
  return hosts.filter((h) => {
    try {
      return taskValues(play, h, task).all('when', task.when);
    } catch (err) {
      failOn(play, h, task, err);
      return false;
    }
  });
}

async function runMeta(play: PlayRun, task: Task, hosts: HostState[]): Promise<void> {
  // As Ansible's: flush_handlers takes no condition; the others act where their `when` holds.
  if (task.meta === 'flush_handlers') return flushHandlers(play);
  const chosen = task.when.length ? metaHosts(play, task, hosts) : hosts;
  switch (task.meta) {
    case 'end_play':
      if (chosen.length) play.aborted = true;
      return;
    case 'end_host':
      for (const h of chosen) h.ended = true;
      return;
    case 'clear_host_errors':
      if (chosen.length) for (const n of play.lane) play.run.hosts.get(n)!.failed = false;
      return;
    default:
      return;
  }
}

async function runTasks(play: PlayRun, tasks: Task[], hosts: HostState[]): Promise<void> {
  for (const [index, task] of tasks.entries()) {
    if (play.aborted || play.run.interrupted || play.run.stopped) return;
    play.upcoming = tasks.slice(index + 1);
    const active = hosts.filter(isActive);
    if (!active.length) return;
    await runTask(play, task, active);
  }
}

/** One task of any kind (a handler too: it may be a block or an include). */
async function runTask(play: PlayRun, task: Task, hosts: HostState[], handler = false): Promise<void> {
  if (task.block) await runBlock(play, task, hosts);
  else if (task.include) await runInclude(play, task, hosts);
  else if (task.meta) await runMeta(play, task, hosts);
  else await runSimpleTask(play, task, hosts, handler);
}

async function flushHandlers(play: PlayRun): Promise<void> {
  if (play.aborted || play.run.interrupted) return;
  for (const handler of play.play.handlers) {
    const names = [handler.name, ...handler.listen];
    const hosts = batchHosts(play).filter((h) => names.some((n) => h.notified.has(n)));
    if (!hosts.length) continue;
    await runTask(play, handler, hosts, true);
  }
  for (const h of batchHosts(play)) h.notified.clear();
}

function gatherTask(play: Play): Task {
  return {
    name: 'Gathering Facts',
    pos: play.pos,
    dir: play.dir,
    module: setup,
    moduleName: 'setup',
    args: {},
    when: [],
    loopControl: {},
    notify: [],
    listen: [],
    tags: ['always'],
    vars: {},
  };
}

/** The play's selected tasks, from --start-at-task's on while that task is not reached; undefined: the play runs nothing. */
function tasksToRun(run: RunContext, play: Play): { pre: Task[]; main: Task[]; post: Task[] } | undefined {
  const lists = [play.preTasks, play.tasks, play.postTasks].map((l) => selectTasks(l, run.options));
  if (run.options.role && !lists[1].length) return undefined;
  if (!run.startAtPending) return { pre: lists[0], main: lists[1], post: lists[2] };
  const from = startingAt(lists, run.options.startAtTask!);
  if (!from) return undefined;
  run.startAtPending = false;
  return { pre: from[0], main: from[1], post: from[2] };
}

export async function runPlay(run: RunContext, play: Play): Promise<void> {
  const tasks = tasksToRun(run, play);
  if (!tasks && run.options.role) return;
  const unknown: string[] = [];
  const hosts = playHosts(run.inventory, play, run.options.limit, unknown);
  for (const h of hosts) if (!run.hosts.has(h)) run.hosts.set(h, newHost(h));
  run.reporter.emit({ kind: 'play_start', name: play.name, hosts });
  // A play before the one --start-at-task names shows, and runs nothing (facts neither), as in Ansible.
  if (!tasks) return;
  if (!hosts.length) {
    run.reporter.emit({ kind: 'warning', msg: `play '${play.name}': no hosts matched '${[play.hosts].flat().join(',')}'` });
    return;
  }
  const varsFiles = loadVarsFiles(run, play, hosts);
  for (const batch of serialBatches(play.serial, hosts, run.templar, { ...play.vars, ...run.options.extraVars })) {
    const state: PlayRun = { run, play, varsFiles, playHosts: hosts, batch, lane: batch, aborted: false, upcoming: [] };
    await (play.strategy === 'free' ? runFree(state, tasks) : runLinear(state, tasks));
    if (state.aborted || run.interrupted) break;
  }
}

type PlayTasks = { pre: Task[]; main: Task[]; post: Task[] };

/** strategy: linear: each task on every host of the batch before the next task starts. */
async function runLinear(state: PlayRun, tasks: PlayTasks): Promise<void> {
  const batchStates = () => state.lane.map((h) => state.run.hosts.get(h)!);
  // Facts are gathered with the first tasks' probes (those that do not depend on the facts).
  state.upcoming = tasks.pre.length ? tasks.pre : tasks.main;
  if (state.play.gatherFacts) await runSimpleTask(state, gatherTask(state.play), batchStates().filter(isActive));
  await runTasks(state, tasks.pre, batchStates());
  await flushHandlers(state);
  await runTasks(state, tasks.main, batchStates());
  await flushHandlers(state);
  await runTasks(state, tasks.post, batchStates());
  await flushHandlers(state);
}

/**
 * strategy: free: each host goes through the play at its own pace (its handlers too), at most
 * --forks hosts at once; a host's failure, or any_errors_fatal, ends what it ends as in linear.
 */
async function runFree(state: PlayRun, tasks: PlayTasks): Promise<void> {
  await runLimited(state.batch, state.run.options.forks ?? state.batch.length, async (name) => {
    if (state.run.stopped) return;
    const own: PlayRun = { ...state, lane: [name] };
    await runLinear(own, tasks);
    if (own.aborted) state.aborted = true;
  });
}
