// Probes of the tasks ahead, sent with the current task's probe in one script: a no-op run costs
// about one round trip per host per window of tasks, not one per task. Safe by construction:
// - a task's query is built again when it runs, from its real scope; a prefetched answer is
//   used only when that query's script is the very one sent ahead (so speculation on variables
//   an earlier task sets is never trusted);
// - a task that changed any host (hosts share state: a cluster, a volume) makes every answer
//   fetched before it ended stale; one judged unchanged (changed_when: false) does not;
// - a task whose plan from a prefetched answer wants to change something has its probe run again
//   on the host right before the change, in the same script, and the change is made only if the
//   answer is still the same (guard.ts): no change is decided on old state.
import { randomBytes } from 'node:crypto';
import { quotePath } from '../connection/quote';
import type { ExecResult } from '../connection/types';
import type { Task } from '../load/types';
import { type ProbeContext, Query } from '../modules/types';
import { checkArgs } from './args';
import type { HostState, PlayRun } from './state';
import type { Exec } from './steps';
import { taskValues } from './vars';
import type { TaskValues } from './values';

/** What a task's commands run as; only tasks that run as the current one can share its script. */
export interface RunsAs {
  key: string;
}

/** Where the current task runs, and how to know the same for the tasks ahead. */
export interface Ahead {
  play: PlayRun;
  host: HostState;
  runsAs: RunsAs;
  probeContext(values: TaskValues): ProbeContext;
  runsAsOf(values: TaskValues): RunsAs;
}

const MAX_WINDOW = 64;

/** A query that may go ahead of its task: no stdin to feed and not a wait that must happen then. */
export function canGoAhead(query: Query<unknown>): boolean {
  return query.options.stdin === undefined && !query.options.live;
}

/** An answer fetched ahead: `current` while no task changed a host since it was fetched. */
export interface FetchedAnswer {
  res: ExecResult;
  current: boolean;
}

/**
 * The answer fetched ahead for this task's query, if fetched for this very query; consumed
 * either way. A current one is used as is (the window grows); a stale one only to plan a change
 * that the host confirms in the same round trip (guard.ts).
 */
export function takePrefetched({ play, host }: Ahead, task: Task, query: Query<unknown>): FetchedAnswer | undefined {
  const hit = host.prefetched.get(task);
  if (!hit) return undefined;
  host.prefetched.delete(task);
  if (hit.script !== query.script || hit.cwd !== query.options.cwd) return undefined;
  const current = hit.epoch === play.run.changeEpoch;
  if (current) answerUsed(host, true);
  return { res: hit.res, current };
}

/**
 * The window grows while answers fetched ahead are used and shrinks when they were of no use (a
 * stale answer the host did not confirm, or one that planned nothing): a run that changes much.
 */
export function answerUsed(host: HostState, used: boolean): void {
  host.lookahead = used ? Math.min(MAX_WINDOW, host.lookahead * 2) : Math.max(1, Math.floor(host.lookahead / 2));
}

/**
 * The queries of the next tasks of the list, as far as they can be known now: module tasks on
 * this host that run as the current one, without loop, delegation or timeout. Tasks that run on
 * the controller are looked past; a block, include or meta task ends the window. Rendering a task
 * ahead must stay free of side effects: a lookup that writes (`password`) refuses, and the task is probed when it runs.
 */
function queriesAhead({ play, host, runsAs, probeContext, runsAsOf }: Ahead): Array<{ task: Task; query: Query<unknown> }> {
  const found: Array<{ task: Task; query: Query<unknown> }> = [];
  for (const task of play.upcoming) {
    if (found.length >= host.lookahead) break;
    if (task.block || task.include || task.meta || !task.module) break;
    if (task.module.controllerOnly || !task.module.probe || task.module.prepare) continue;
    if (task.loop !== undefined || task.delegateTo !== undefined || task.timeout !== undefined || host.prefetched.has(task)) continue;
    try {
      const query = play.run.templar.ahead(() => {
        const values = taskValues(play, host, task);
        if (!values.all('when', task.when) || runsAsOf(values).key !== runsAs.key) return undefined;
        const { args, error } = checkArgs(task.module!, values.value('arguments', task.args) as Record<string, unknown>);
        return error ? undefined : task.module!.probe!(args, probeContext(values));
      });
      if (query instanceof Query && canGoAhead(query)) found.push({ task, query });
    } catch {
      // Not knowable yet (a variable an earlier task sets): it is probed when it runs.
    }
  }
  return found;
}

/**
 * Each query in its own subshell, its output framed by lines holding a random boundary (as MIME
 * does) and its exit status: no program runs per query beyond its own.
 */
export function batchScript(queries: Array<Query<unknown>>, boundary: string): string {
  const parts = queries.map((q) => {
    const cd = q.options.cwd ? `cd -- ${quotePath(q.options.cwd)} || exit 1\n` : '';
    return [
      `printf '%s\\n' 'Q-${boundary}'`,
      `(\n${cd}${q.script}\n) </dev/null 2>"$e"`,
      `printf '\\n%s %s\\n' 'R-${boundary}' "$?"`,
      `[ -s "$e" ] && cat "$e"`,
      `printf '\\n%s\\n' 'E-${boundary}'`,
    ].join('\n');
  });
  return ['e=$(mktemp) || exit 1', `trap 'rm -f "$e"' EXIT`, ...parts].join('\n');
}

export function parseBatch(stdout: string, count: number, boundary: string): ExecResult[] {
  const blocks = stdout.split(`Q-${boundary}\n`).slice(1);
  const answers = blocks.map((block) => {
    const framed = new RegExp(`^([\\s\\S]*)\\nR-${boundary} (\\d+)\\n([\\s\\S]*)\\nE-${boundary}\\n$`).exec(block);
    if (!framed) throw new Error('a batch of probes answered out of frame');
    return { stdout: framed[1], rc: Number(framed[2]), stderr: framed[3] };
  });
  if (answers.length !== count) throw new Error(`a batch of ${count} probes answered ${answers.length}`);
  return answers;
}

/**
 * Runs the current task's query together with those of the tasks ahead, in one round trip;
 * keeps their answers for when those tasks run, and returns the current one's. Answers are
 * fetched ahead even while tasks change hosts: a stale one still plans a change the host then
 * confirms in the round trip that makes it (guard.ts).
 */
export async function probeAhead(at: Ahead, exec: Exec, query: Query<unknown>): Promise<ExecResult> {
  const { play, host } = at;
  const ahead = queriesAhead(at);
  if (!ahead.length) return exec(query.script, { cwd: query.options.cwd });
  const epoch = play.run.changeEpoch;
  const boundary = randomBytes(12).toString('hex');
  const res = await exec(batchScript([query, ...ahead.map((a) => a.query)], boundary));
  if (res.rc !== 0) throw new Error(`batched probes failed (rc=${res.rc}): ${res.stderr.trim()}`);
  const [mine, ...theirs] = parseBatch(res.stdout, ahead.length + 1, boundary);
  // Answers fetched earlier for tasks still ahead stay (queriesAhead skipped those tasks).
  for (const [i, a] of ahead.entries()) host.prefetched.set(a.task, { script: a.query.script, cwd: a.query.options.cwd, res: theirs[i], epoch });
  return mine;
}
