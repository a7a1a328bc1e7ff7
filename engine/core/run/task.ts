// Runs one task on one host: when, loop, retries/until, the module's probe → plan → steps,
// changed_when/failed_when, register and notify. Check mode skips the steps and nothing else.
import { InputError, LookupError } from '../errors';
import { maskSecrets } from '../load/secrets';
import { markUnsafe, type VarScope } from '../load/template/scope';
import type { Task, Vars } from '../load/types';
import { type Diff, type Module, ModuleError, type Outcome, type PlanContext, type ProbeContext, Query, type Step } from '../modules/types';
import { ansibleDiff, diffsOf } from '../modules/util/diff';
import { CENSORED, type HostStatus } from '../output/events';
import { BECOME_METHODS, type Become, type Connection, UnreachableError } from '../connection/types';
import { checkArgs } from './args';
import { runAsync } from './async';
import { applyConfirmed } from './guard';
import { type Ahead, answerUsed, canGoAhead, type FetchedAnswer, probeAhead, type RunsAs, takePrefetched } from './lookahead';
import { type Exec, execOn, probeWith, runQuery, runSteps } from './steps';
import { connectionFor } from './connect';
import { findLocal, localPath } from './files';
import { changeInventory, inventoryGroup, inventoryHost } from '../load/inventory';
import { loadYamlFile } from '../load/yaml';
import { type HostState, newHost, type PlayRun, predicting } from './state';
import type { TaskValues } from './values';
import { hostScope, taskValues } from './vars';

export type Result = Record<string, unknown> & { changed?: boolean; failed?: boolean; skipped?: boolean; msg?: string; unreachable?: boolean };

/** Resolves become for the task: task/block/play keyword, then ansible_become* host vars. */
function becomeFor(play: PlayRun, values: TaskValues) {
  const { task, scope } = values;
  const { options } = play.run;
  if (!values.flag('become', task.become ?? play.play.become ?? scope.get('ansible_become') ?? options.become ?? false)) return undefined;
  const user = values.text('become_user', task.becomeUser ?? play.play.becomeUser ?? scope.get('ansible_become_user') ?? options.becomeUser ?? 'root');
  const password = (scope.get('ansible_become_password') ?? scope.get('ansible_become_pass') ?? play.run.options.becomePassword) as string | undefined;
  const method = values.text(
    'become_method',
    task.becomeMethod ?? play.play.becomeMethod ?? scope.get('ansible_become_method') ?? options.becomeMethod ?? 'sudo',
  );
  if (!BECOME_METHODS.includes(method)) throw new ModuleError(`become_method '${method}': this engine becomes with ${BECOME_METHODS.join(' or ')} only`);
  return { user, password, method: method as Become['method'] };
}

/** Raised when a task's `timeout` is up; its remote command has been ended by then. */
class TaskTimeout extends ModuleError {}

function timeoutMessage(task: Task, seconds: number): string {
  return `The ${task.moduleName ?? 'task'} action failed to execute in the expected time frame (${seconds}) and was terminated`;
}

/** Every command of the task gets what is left of its time, and is ended on the host after it. */
function withDeadline(conn: Connection, deadline: number, message: string): Connection {
  return {
    host: conn.host,
    user: conn.user,
    isOpen: () => conn.isOpen(),
    close: () => conn.close(),
    async run(command, options = {}) {
      const left = (deadline - Date.now()) / 1000;
      if (left <= 0) throw new TaskTimeout(message);
      const res = await conn.run(command, { ...options, timeoutSec: left });
      // 124: `timeout` ended it (the command's own 124 before the deadline stays a result).
      if (res.rc === 124 && Date.now() >= deadline - 1000) throw new TaskTimeout(message);
      return res;
    },
  };
}

/** The task's `timeout` in seconds, or undefined; anything but a positive number is an error. */
function timeoutOf(values: TaskValues): number | undefined {
  const { task } = values;
  if (task.timeout === undefined) return undefined;
  const seconds = values.number('timeout', task.timeout);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new InputError(`timeout must be a positive number of seconds, got '${String(task.timeout)}'`, task.pos, 'timeout');
  return seconds;
}

async function runModule(play: PlayRun, host: HostState, values: TaskValues): Promise<{ result: Result; facts?: Vars }> {
  const seconds = timeoutOf(values);
  if (seconds === undefined) return runModuleOnce(play, host, values);
  const message = timeoutMessage(values.task, seconds);
  const work = runModuleOnce(play, host, values, { deadline: Date.now() + seconds * 1000, message });
  let timer: NodeJS.Timeout | undefined;
  // Controller-side work (pause, a wait on the controller) has no remote command to end: the
  // task fails when its time is up; what it still does afterwards is ignored.
  const expired = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new TaskTimeout(message)), seconds * 1000 + 2000)));
  work.catch(() => undefined);
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The connection variables of the host a task runs on: its own, or those of the host it is
 * delegated to (an inventory host's own variables; a bare address over ssh, localhost locally).
 */
function targetVarsOf(play: PlayRun, scope: VarScope, delegate: string | undefined): Vars {
  if (!delegate) return connectionVars(scope);
  // A host outside the play has no state yet: its own variables, never those of the host delegating.
  if (play.run.inventory.hostVars.has(delegate)) return hostScope(play, play.run.hosts.get(delegate) ?? newHost(delegate)).resolveAll();
  return { ansible_connection: delegate === 'localhost' || delegate === '127.0.0.1' ? 'local' : 'ssh', ansible_host: delegate };
}

/** The file arguments that set SELinux contexts (attrProperties accepts them, as Ansible's file arguments). */
const SELINUX_ARGS = ['seuser', 'serole', 'setype', 'selevel'];

/**
 * Ansible ignores SELinux arguments on a host without SELinux; so does the engine, whose modules
 * set no contexts: they are taken out of the arguments there, and refused where SELinux is on.
 */
export async function withoutSelinux(exec: Exec, args: Vars, host: string): Promise<{ args: Vars } | { refused: string }> {
  const given = SELINUX_ARGS.filter((k) => args[k] !== undefined && args[k] !== null);
  if (!given.length) return { args };
  const res = await exec('if [ -e /sys/fs/selinux/enforce ]; then echo on; else echo off; fi');
  if (res.stdout.trim() === 'on') return { refused: `SELinux is enabled on ${host}: the engine sets no SELinux contexts (${given.join(', ')})` };
  return { args: Object.fromEntries(Object.entries(args).filter(([k]) => !given.includes(k))) };
}

/** The arguments a module reads from the task's own `vars:` (Module.taskVars), rendered. */
function taskVarArgs(module: Module, task: Task, values: TaskValues): Vars {
  const out: Vars = {};
  for (const [name, arg] of Object.entries(module.taskVars ?? {}))
    if (task.vars[name] !== undefined) out[arg] = values.value(`variable '${name}'`, task.vars[name]);
  return out;
}

async function runModuleOnce(
  play: PlayRun,
  host: HostState,
  values: TaskValues,
  limit?: { deadline: number; message: string },
): Promise<{ result: Result; facts?: Vars }> {
  const { task, scope } = values;
  const module = task.module!;
  if (task.argsProblem) return { result: { failed: true, changed: false, msg: task.argsProblem.describe() } };
  const { args: given, error } = checkArgs(module, values.value('arguments', task.args) as Vars);
  if (error) return { result: { failed: true, changed: false, msg: error } };
  const checked = { ...given, ...taskVarArgs(module, task, values) };
  const delegate = task.delegateTo === undefined ? undefined : values.text('delegate_to', task.delegateTo);
  const target = delegate ?? host.name;
  let conn: Connection | undefined;
  if (!module.controllerOnly) {
    conn = await connectionFor(
      play.run,
      target,
      targetVarsOf(play, scope, delegate),
      play.play.connection,
      play.play.remoteUser ?? play.run.options.remoteUser,
      task.remoteUser === undefined ? undefined : values.text('remote_user', task.remoteUser),
    );
    if (limit) conn = withDeadline(conn, limit.deadline, limit.message);
  }
  const runsAs = runsAsOf(play, values);
  const exec = conn ? execOn(conn, runsAs.options) : noHost(module.name);
  const selinux = await withoutSelinux(exec, checked, target);
  if ('refused' in selinux) return { result: { failed: true, changed: false, msg: selinux.refused } };
  const { args } = selinux;
  const ctx: PlanContext = {
    ...probeContextOf(play, host, values),
    vars: scope.raw,
    renderText: (text, file, extra, options) => values.file(text, file ?? task.pos.file, extra, options),
    evaluate: (expr) => values.all('condition', [expr]),
    expression: (expr) => values.expression('expression', expr),
    readYaml: (path) => loadYamlFile(path).data,
    inventory: { host: (name) => inventoryHost(play.run.inventory, name), group: (name) => inventoryGroup(play.run.inventory, name) },
  };
  const decide = async (taskArgs: Vars): Promise<Outcome> => module.plan(taskArgs, await probeWith(exec, module, taskArgs, ctx), ctx);
  // An async task's changes start in the background: none is made ahead by a guarded first step.
  const background = task.async === undefined ? 0 : values.number('async', task.async);
  const lookAhead: Ahead | undefined =
    limit || delegate || background > 0
      ? undefined
      : { play, host, runsAs, probeContext: (v) => probeContextOf(play, host, v), runsAsOf: (v) => runsAsOf(play, v) };
  const first = await firstLook(exec, module, args, ctx, task, lookAhead);
  let outcome = module.plan(args, first.found, ctx);
  // As Ansible's strategy: the inventory changes at once (the next loop item sees it), dry run or not.
  if (outcome.inventory) changeInventory(play.run.inventory, outcome.inventory);
  let made: { before: Record<string, unknown>; rest: Step[] } | undefined;
  if (first.fetched && lookAhead)
    ({ outcome, made } = await settlePlan(exec, lookAhead, first.fetched, outcome, ctx, (found) => module.plan(args, found, ctx)));
  const result: Result = { changed: outcome.changed, msg: outcome.msg, ...(outcome.result ?? {}) };
  if (outcome.failed) result.failed = true;
  if (outcome.predicted) result.predicted = true;
  if (outcome.diff?.length) result.diff = ansibleDiff(outcome.diff);
  if (delegate) result.delegated_to = delegate;
  if (!ctx.check && outcome.steps?.length && !outcome.failed) {
    if (background > 0) {
      const poll = values.number('poll', task.poll ?? 15);
      Object.assign(result, await runAsync(exec, outcome.steps, { host: target, limit: background, poll }));
    } else Object.assign(result, await runSteps(exec, made?.rest ?? outcome.steps, (again) => decide(again as Vars), made?.before));
  }
  if (ctx.check) result.check_mode = true;
  // A step may bring facts (an Ansible module's ansible_facts, known only once it ran).
  const facts = outcome.facts ?? (result.ansible_facts ? { ansible_facts: result.ansible_facts } : undefined);
  return { result, facts };
}

/**
 * A task that changed a host (or failed halfway) makes every answer fetched ahead before it ended
 * stale, on every host: hosts share state (a cluster, a volume). A task judged unchanged
 * (changed_when: false on a read-only command) leaves them valid.
 */
function noteChange(play: PlayRun, result: Result): void {
  if (!result.check_mode && (result.changed || result.failed)) play.run.changeEpoch++;
}

function probeContextOf(play: PlayRun, host: HostState, values: TaskValues): ProbeContext {
  const { task } = values;
  const check = task.checkMode === undefined ? play.run.options.check : values.flag('check_mode', task.checkMode);
  const interpreter = values.scope.get('ansible_python_interpreter');
  return {
    host: host.name,
    check,
    predict: check && predicting(play.run),
    interpreter: typeof interpreter === 'string' ? interpreter : undefined,
    findLocal: (kind, name) => findLocal(kind, name, task, play.run.playbookDir),
    localPath: (path) => localPath(path, play.run.playbookDir),
  };
}

/** Become and environment of the task's commands; the key tells tasks that run alike. */
function runsAsOf(play: PlayRun, values: TaskValues): RunsAs & { options: { become?: Become; env?: Record<string, string> } } {
  const env = values.task.environment ?? play.play.environment;
  const options = { become: becomeFor(play, values), env: env === undefined ? undefined : (values.value('environment', env) as Record<string, string>) };
  return { key: JSON.stringify(options), options };
}

/** The module's first look at the host, and the answer fetched ahead it was made from, if so. */
interface FirstLook {
  found: unknown;
  fetched?: { look: Query<unknown>; answer: FetchedAnswer };
}

/**
 * What a query's answer says, when that answer alone says it (a good exit status, no further
 * query); a stale answer that does not, or that its parser rejects, is not used at all.
 */
function foundIn(look: Query<unknown>, answer: FetchedAnswer): { found: unknown } | undefined {
  if (answer.res.rc !== 0 && !look.options.anyStatus) return undefined;
  try {
    const found = look.parse(answer.res);
    return found instanceof Query ? undefined : { found };
  } catch (err) {
    if (answer.current) throw err;
    return undefined;
  }
}

/**
 * The module's first look at the host: an answer fetched ahead with an earlier task's probe, or
 * this probe sent together with those of the tasks ahead, or (a wait, stdin, a timeout) alone.
 */
async function firstLook(exec: Exec, module: Module, args: Vars, ctx: ProbeContext, task: Task, ahead?: Ahead): Promise<FirstLook> {
  if (module.prepare) return { found: await probeWith(exec, module, args, ctx) };
  const look = module.probe?.(args, ctx);
  if (!(look instanceof Query)) return { found: await look };
  if (!ahead || !canGoAhead(look)) return { found: await runQuery(exec, look) };
  const answer = takePrefetched(ahead, task, look);
  const single = answer && foundIn(look, answer);
  if (single) return { found: single.found, fetched: { look, answer: answer! } };
  // A current answer with more to ask (or a bad exit status, reported as such) is used as before.
  if (answer?.current) return { found: await runQuery(exec, look, answer.res) };
  return { found: await lookNow(exec, look, ahead) };
}

/** The query run now, with those of the tasks ahead. */
async function lookNow(exec: Exec, look: Query<unknown>, ahead: Ahead): Promise<unknown> {
  return runQuery(exec, look, await probeAhead(ahead, exec, look));
}

/**
 * A plan made from an answer fetched ahead. A change is made in the round trip that confirms
 * that answer on the host (guard.ts); if the host answers otherwise, the task plans again from
 * the new answer. A change that cannot be confirmed that way, and anything a stale answer says
 * (nothing to do, a failure), is not trusted: the host is probed again and the task planned anew.
 */
async function settlePlan(
  exec: Exec,
  ahead: Ahead,
  fetched: NonNullable<FirstLook['fetched']>,
  outcome: Outcome,
  ctx: PlanContext,
  planFrom: (found: unknown) => Outcome,
): Promise<{ outcome: Outcome; made?: { before: Record<string, unknown>; rest: Step[] } }> {
  const { look, answer } = fetched;
  const { host } = ahead;
  const lookAgain = async () => planFrom(await lookNow(exec, look, ahead));
  const steps = !ctx.check && !outcome.failed ? (outcome.steps ?? []) : [];
  if (!steps.length) {
    if (answer.current) return { outcome };
    answerUsed(host, false);
    return { outcome: await lookAgain() };
  }
  const guarded = await applyConfirmed(exec, look, answer.res, steps[0]);
  if (!guarded) return { outcome: await lookAgain() };
  if ('fresh' in guarded) {
    answerUsed(host, false);
    return { outcome: planFrom(await runQuery(exec, look, guarded.fresh)) };
  }
  if (!answer.current) answerUsed(host, true);
  return { outcome, made: { before: guarded.applied, rest: steps.slice(1) } };
}

/** A controller-only module has no host to run a command on; asking for one is a bug in it. */
function noHost(name: string): Exec {
  return () => Promise.reject(new Error(`${name} runs on the controller only and has no host to run commands on`));
}

const CONNECTION_VARS = [
  ...[
    'host',
    'port',
    'user',
    'ssh_user',
    'connection',
    'ssh_private_key_file',
    'private_key_file',
    'password',
    'ssh_pass',
    'timeout',
    'ssh_common_args',
    'ssh_extra_args',
  ].map((v) => `ansible_${v}`),
  'engine_lock_file',
];

/** Connection-related variables of the host, resolved (ansible_host may be templated). */
function connectionVars(scope: VarScope): Vars {
  return Object.fromEntries(CONNECTION_VARS.filter((key) => scope.has(key)).map((key) => [key, scope.get(key)]));
}

/**
 * Any exception inside a task is that host's failed result, with its message: a module's own
 * error, bad input met at run time (an undefined variable), or a bug (with its stack at -v).
 */
export function failureOf(err: unknown): Result {
  if (err instanceof UnreachableError) return { unreachable: true, failed: true, changed: false, msg: err.message };
  if (err instanceof ModuleError) return { failed: true, changed: false, msg: err.message, ...err.result };
  if (err instanceof InputError) return { failed: true, changed: false, msg: err.describe() };
  if (err instanceof LookupError) return { failed: true, changed: false, msg: err.message };
  const e = err instanceof Error ? err : new Error(String(err));
  return { failed: true, changed: false, msg: `${e.name}: ${e.message}`, exception: e.stack };
}

/** One attempt, or several for retries/until, each judged by changed_when/failed_when; errors become failed results. */
async function attempt(play: PlayRun, host: HostState, values: TaskValues): Promise<{ result: Result; facts?: Vars }> {
  const { task } = values;
  const retries = task.until ? values.number('retries', task.retries ?? 3) : 0;
  const delay = values.number('delay', task.delay ?? 5);
  for (let n = 1; ; n++) {
    let outcome: { result: Result; facts?: Vars };
    try {
      outcome = await runModule(play, host, values);
    } catch (err) {
      if (err instanceof UnreachableError) return { result: { unreachable: true, failed: true, changed: false, msg: err.message } };
      outcome = { result: failureOf(err) };
    }
    // As Ansible: changed_when and failed_when judge each attempt (they may read its attempts), until then.
    if (task.until) outcome.result.attempts = n;
    judge(values, outcome.result);
    if (!task.until || retries <= 0) return outcome;
    const bound = task.register ? values.with({ [task.register]: markUnsafe(outcome.result) }) : values;
    if (bound.all('until', task.until)) return outcome;
    if (predicting(play.run)) return { ...outcome, result: predictedWait(task, outcome.result, retries) };
    // Out of attempts: failed, unless failed_when judged the last one (Ansible's is_failed reads failed_when_result first).
    if (n > retries) {
      const failed = task.failedWhen ? outcome.result.failed_when_result === true : true;
      return { ...outcome, result: { ...outcome.result, failed, msg: `retries exhausted (${n} attempts): ${outcome.result.msg ?? ''}` } };
    }
    await new Promise((r) => setTimeout(r, delay * 1000));
  }
}

/** A dry run's answer for an until-loop whose condition the changes it did not make would bring about. */
function predictedWait(task: Task, result: Result, retries: number): Result {
  const { failed: _failed, ...rest } = result;
  const condition = task.until!.map(String).join(' and ');
  return {
    ...rest,
    changed: false,
    predicted: true,
    msg: `predicted, not polled: the real run waits until ${condition} (up to ${retries + 1} attempts), for what earlier changes make`,
  };
}

/** Applies changed_when/failed_when with the result bound to the register name. */
function judge(values: TaskValues, result: Result): void {
  if (result.unreachable) return;
  const { task } = values;
  const data = markUnsafe(result);
  const bound = values.with({ ...(task.register ? { [task.register]: data } : {}), result: data });
  try {
    if (task.changedWhen) result.changed = bound.all('changed_when', task.changedWhen);
  } catch (err) {
    // As Ansible: the task fails, says why in changed_when_result too, and failed_when is not judged.
    Object.assign(result, failureOf(err));
    result.changed_when_result = result.msg;
    return;
  }
  if (!task.failedWhen) return;
  try {
    result.failed = bound.any('failed_when', task.failedWhen);
    result.failed_when_result = result.failed;
  } catch (err) {
    // As Ansible: a condition that cannot be evaluated fails the task, and says why there too.
    Object.assign(result, failureOf(err));
    result.failed_when_result = result.msg;
  }
}

function itemLabel(values: TaskValues, item: unknown): string {
  const { label: template } = values.task.loopControl;
  const label = template === undefined ? item : values.value('loop_control.label', template);
  return typeof label === 'string' ? label : JSON.stringify(label);
}

export function loopItems(values: TaskValues): unknown[] | undefined {
  const { task } = values;
  if (task.loop === undefined) return undefined;
  if (task.loopLookup) return values.lookupItems(`with_${task.loopLookup}`, task.loopLookup, task.loop);
  const items = values.value('loop', task.loop);
  if (!Array.isArray(items)) throw new InputError(`loop must be a list, got ${typeof items}`, task.pos, 'loop');
  return items;
}

/**
 * What a host line shows: everything at -v; for a failure the fields that explain it (as Ansible
 * always prints them); for a warning or a predicted wait its message; for debug only its message
 * or variable.
 */
/** A `when` that reads no loop variable, evaluated without one; undefined when it cannot be. */
function whenHoldsWithoutItem(values: TaskValues): boolean | undefined {
  try {
    return values.all('when', values.task.when);
  } catch {
    return undefined;
  }
}

/** loop_control's loop_var, templated as Ansible's (`loop_var: "{{ name }}"`); `item` without one. */
function loopVarName(values: TaskValues): string {
  const { loop_var: loopVar } = values.task.loopControl;
  return loopVar === undefined ? 'item' : values.text('loop_control', loopVar);
}

/** The variables one loop item sets: the loop variable, the index variable, ansible_loop. */
export function loopVarsOf(values: TaskValues, items: unknown[], index: number, item: unknown): Vars {
  const { task } = values;
  const loopVar = loopVarName(values);
  const indexVar = task.loopControl.index_var === undefined ? undefined : values.text('loop_control', task.loopControl.index_var);
  return {
    [loopVar]: item,
    ansible_loop_var: loopVar,
    ...(indexVar ? { [indexVar]: index } : {}),
    ansible_loop: {
      index: index + 1,
      index0: index,
      revindex: items.length - index,
      revindex0: items.length - index - 1,
      first: index === 0,
      last: index === items.length - 1,
      length: items.length,
      ...(task.loopControl.extended_allitems === false || task.loopControl.extended_allitems === 'false' ? {} : { allitems: items }),
      previtem: index > 0 ? items[index - 1] : undefined,
      nextitem: index < items.length - 1 ? items[index + 1] : undefined,
    },
  };
}

function visibleResult(result: Result, status: HostStatus, verbosity: number, debugLike?: boolean): Record<string, unknown> | undefined {
  const { diff: _diff, ...rest } = result;
  if (verbosity > 0) return rest;
  if (status === 'warning' || result.predicted) return { msg: result.msg };
  if (status === 'failed' || status === 'ignored') {
    return Object.fromEntries(Object.entries(rest).filter(([k, v]) => ['msg', 'rc', 'cmd', 'stderr', 'stdout'].includes(k) && v !== '' && v !== undefined));
  }
  if (!debugLike) return undefined;
  const { changed: _c, failed: _f, check_mode: _m, msg, item: _i, ansible_loop_var: loopVar, ...vars } = rest;
  // A loop's item is shown in the line's `(item=...)` already.
  if (typeof loopVar === 'string') delete vars[loopVar];
  return Object.keys(vars).length ? vars : { msg };
}

export function statusOf(result: Result, ignored: boolean): HostStatus {
  if (result.unreachable) return 'unreachable';
  if (result.failed) return ignored ? 'ignored' : 'failed';
  if (result.skipped) return 'skipped';
  if (result.changed) return 'changed';
  return Array.isArray(result.warnings) && result.warnings.length ? 'warning' : 'ok';
}

/**
 * Runs a (non-block, non-include) task on one host; returns the aggregated result. Whatever
 * goes wrong on the way (an undefined variable in `when`, a bad loop) is this host's failure,
 * reported like any other result; the other hosts go on.
 */
export async function runTaskOnHost(play: PlayRun, host: HostState, task: Task): Promise<{ result: Result; facts: Vars[]; values?: TaskValues }> {
  let noLog = true; // until no_log is known, nothing of the task is shown
  let reporter: ((result: Result, item?: string) => void) | undefined;
  try {
    const values = taskValues(play, host, task);
    noLog = values.flag('no_log', task.noLog);
    reporter = resultReporter(play, host, task, values, noLog);
    // The caller settles the result with the same values: the host's scope is built once per task.
    return { ...(await runOnHost(play, host, values, reporter)), values };
  } catch (err) {
    const result = failureOf(err);
    (reporter ?? resultReporter(play, host, task, undefined, noLog))(result);
    return { result, facts: [] };
  }
}

/** The diffs that show a difference; none at all when none does. */
function differing(diffs: Diff[]): Diff[] | undefined {
  const shown = diffs.filter((d) => d.before !== d.after);
  return shown.length ? shown : undefined;
}

/** Emits one host result (or one item's), censored for no_log, with the diff when it is shown. */
function resultReporter(play: PlayRun, host: HostState, task: Task, values: TaskValues | undefined, noLog: boolean) {
  const { options } = play.run;
  const showDiff = values && task.diff !== undefined ? values.flag('diff', task.diff) : options.diff;
  return (result: Result, item?: string) => {
    const ignored = values !== undefined && !result.unreachable && values.flag('ignore_errors', task.ignoreErrors);
    const status = statusOf(result, ignored);
    play.run.reporter.emit({
      kind: 'host_result',
      task: task.name,
      host: host.name,
      status,
      item: noLog && item !== undefined ? '(censored)' : maskSecrets(item),
      delegatedTo: result.delegated_to as string | undefined,
      msg: noLog ? CENSORED : maskSecrets(result.msg as string | undefined),
      // Only what differs: file registers its diff on every run, the same on both sides when
      // nothing changes. (A change changed_when waives still shows: a dry run's preview.)
      diff: showDiff && !noLog ? differing(maskSecrets(diffsOf(result.diff))) : undefined,
      result: noLog
        ? options.verbosity > 0
          ? { censored: CENSORED }
          : undefined
        : maskSecrets(visibleResult(result, status, options.verbosity, task.module?.showsResult)),
    });
  };
}

async function runOnHost(
  play: PlayRun,
  host: HostState,
  values: TaskValues,
  report: (result: Result, item?: string) => void,
): Promise<{ result: Result; facts: Vars[] }> {
  const { task } = values;
  let items: unknown[] | undefined;
  try {
    items = loopItems(values);
  } catch (err) {
    // As Ansible: a loop that cannot be rendered is an error only for a host the task would run
    // on (`with_items: "{{ later }}"` under a `when` that is false is skipped).
    if (whenHoldsWithoutItem(values) !== false) throw err;
    const skipped = { skipped: true, changed: false, msg: 'conditional result was false' };
    report(skipped);
    return { result: skipped, facts: [] };
  }
  if (items === undefined) {
    if (!values.all('when', task.when)) {
      const skipped = { skipped: true, changed: false, msg: 'conditional result was false' };
      report(skipped);
      return { result: skipped, facts: [] };
    }
    const { result, facts } = await attempt(play, host, values);
    noteChange(play, result);
    report(result);
    return { result, facts: facts ? [facts] : [] };
  }
  const loopVar = loopVarName(values);
  const results: Result[] = [];
  const facts: Vars[] = [];
  // Facts an item sets (set_fact in a loop) are seen by the items after it, as in Ansible.
  let before = values;
  for (const [index, item] of items.entries()) {
    const itemValues = before.with(loopVarsOf(before, items, index, item));
    const label = itemLabel(itemValues, item);
    if (!itemValues.all('when', task.when)) {
      results.push({ skipped: true, changed: false, item, [loopVar]: item });
      report({ skipped: true }, label);
      continue;
    }
    const outcome = await attempt(play, host, itemValues);
    noteChange(play, outcome.result);
    const r = { ...outcome.result, item, [loopVar]: item, ansible_loop_var: loopVar };
    results.push(r);
    if (outcome.facts) {
      facts.push(outcome.facts);
      before = before.with(outcome.facts);
    }
    report(r, label);
    if (r.unreachable) break;
    if (task.loopControl.pause) await new Promise((res) => setTimeout(res, Number(task.loopControl.pause) * 1000));
  }
  const ran = results.filter((r) => !r.skipped);
  const aggregated: Result = {
    changed: ran.some((r) => r.changed),
    failed: ran.some((r) => r.failed),
    unreachable: ran.some((r) => r.unreachable),
    skipped: ran.length === 0,
    msg: ran.some((r) => r.failed) ? 'one or more items failed' : `${ran.length} item(s)`,
    results,
  };
  return { result: aggregated, facts };
}
