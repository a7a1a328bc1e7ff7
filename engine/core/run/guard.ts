// A change planned from an answer fetched ahead (lookahead.ts) is made in the round trip that
// confirms it: the host runs the task's probe again, compares its answer with the one the plan
// was made from (given on stdin, never in an argv; compared by the shell itself, as every
// program costs the host an exec), and makes the first step only if they are the same. Otherwise it changes nothing and sends the new answer back; the task plans
// again from that. A first run so costs one round trip per change, not a probe and then a step,
// and no change is ever decided on old state.
import { randomBytes } from 'node:crypto';
import { quotePath } from '../connection/quote';
import type { ExecResult } from '../connection/types';
import type { Query, Step } from '../modules/types';
import { batchScript, parseBatch } from './lookahead';
import { commandOf, type Exec } from './steps';

/** Content larger than this is not sent on the strength of an answer that may be stale. */
const MAX_GUARDED_STDIN = 1024 * 1024;

/** The shell reads the answer to compare a byte at a time (a builtin read): only short answers are compared. */
const MAX_COMPARED_ANSWER = 16 * 1024;

/** What the guarded script leaves: the step's own result, or the host's new answer (nothing changed). */
export type Guarded = { applied: Record<string, unknown> } | { fresh: ExecResult };

/**
 * The host compares the probe's output and exit status, stderr merged in: so only an answer with
 * an empty stderr can be confirmed (another would never compare equal).
 */
function confirmable(step: Step, query: Query<unknown>, answer: ExecResult): boolean {
  if (answer.stderr !== '' || query.options.stdin !== undefined || answer.stdout.length > MAX_COMPARED_ANSWER) return false;
  if (step.kind === 'write') return !step.validate && step.content.length <= MAX_GUARDED_STDIN;
  if (step.kind !== 'run') return false;
  // The step's cwd applies to the whole script; the probe must run where it ran before.
  return step.cwd === query.options.cwd && (step.stdin?.length ?? 0) <= MAX_GUARDED_STDIN;
}

/** The answer as the host's shell sees it: stdout, then R and the exit status, stderr merged in (and empty). */
function seen(answer: ExecResult): string {
  return `${answer.stdout}R${answer.rc}`;
}

/** The answer to compare, for the shell to read: its line count, then its lines. */
function expectedInput(answer: ExecResult): Buffer {
  const lines = seen(answer).split('\n');
  return Buffer.from(`${lines.length}\n${lines.map((l) => `${l}\n`).join('')}`);
}

function guardScript(query: Query<unknown>, step: string, boundary: string): string {
  const cd = query.options.cwd ? `cd -- ${quotePath(query.options.cwd)} || exit 1\n` : '';
  return [
    'IFS= read -r engine_n; engine_expect=; engine_i=0',
    'while [ "$engine_i" -lt "$engine_n" ]; do',
    'IFS= read -r engine_line',
    'if [ "$engine_i" = 0 ]; then engine_expect=$engine_line; else engine_expect="$engine_expect',
    '$engine_line"; fi',
    'engine_i=$((engine_i + 1))',
    'done',
    `engine_out=$( (\n${cd}${query.script}\n) </dev/null 2>&1; echo "R$?")`,
    'if [ "$engine_out" != "$engine_expect" ]; then',
    `printf '%s\\n' 'STALE-${boundary}'`,
    batchScript([query], boundary),
    'exit 0',
    'fi',
    'unset engine_n engine_i engine_line engine_expect engine_out',
    step,
  ].join('\n');
}

/**
 * Makes the plan's first step if the host still answers the probe as `answer` said; undefined
 * when that cannot be checked this way (the caller probes again first, as without an answer).
 */
export async function applyConfirmed(exec: Exec, query: Query<unknown>, answer: ExecResult, step: Step): Promise<Guarded | undefined> {
  if (!confirmable(step, query, answer) || (step.kind !== 'run' && step.kind !== 'write')) return undefined;
  const command = commandOf(step);
  const boundary = randomBytes(12).toString('hex');
  const stdin = Buffer.concat([expectedInput(answer), Buffer.from(command.stdin ?? '')]);
  const start = Date.now();
  const res = await exec(guardScript(query, command.script, boundary), { stdin, cwd: command.cwd });
  const stale = `STALE-${boundary}\n`;
  if (res.stdout.startsWith(stale)) return { fresh: parseBatch(res.stdout.slice(stale.length), 1, boundary)[0] };
  return { applied: command.finish(res, (Date.now() - start) / 1000) };
}
