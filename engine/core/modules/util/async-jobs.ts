// Tasks run with `async:` on a host: their commands run there in the background, each command's
// output, exit status and times kept in a job directory (~/.ansible_async/<jid>/), so that the
// task (poll > 0) or a later async_status reads them. What turns that output into the task's
// result (a module's step results) stays on the controller, remembered here for the run.
import type { ExecResult } from '../../connection/types';
import { quote } from '../../connection/quote';
import { Query } from '../types';

/** Turns one command's output into its part of the task's result (a step's result reader). */
type Finisher = (res: ExecResult, seconds: number) => Record<string, unknown>;

export interface AsyncJob {
  host: string;
  jid: string;
  /** The job directory on the host. */
  dir: string;
  /** Seconds the job may run before it is ended there. */
  limit: number;
  finishers: Finisher[];
}

/** The jobs this run started, by host and jid: only this run can read their results. */
const jobs = new Map<string, AsyncJob>();

export function rememberJob(job: AsyncJob): void {
  jobs.set(`${job.host}\0${job.jid}`, job);
}

export function findJob(host: string, jid: string): AsyncJob | undefined {
  return jobs.get(`${host}\0${jid}`);
}

/** The exit status GNU timeout gives a command it ended (124), or killed after it (137). */
const TIMED_OUT = new Set([124, 137]);

interface CommandOutput {
  rc: number;
  seconds: number;
  stdout: string;
  stderr: string;
}

export type JobState = { state: 'missing' } | { state: 'running' } | { state: 'done'; timedOut: boolean; outputs: (CommandOutput | undefined)[] };

/** The job's state in one look: running, gone, or done with each command's output (base64 on the wire). */
export function jobQuery(dir: string, commands: number): Query<JobState> {
  const d = quote(dir);
  const perCommand = Array.from(
    { length: commands },
    (_, i) =>
      `if [ -e ${d}/${i}.rc ]; then echo "ran $(cat ${d}/${i}.rc) $(cat ${d}/${i}.time 2>/dev/null)"; base64 -w0 < ${d}/${i}.out; echo; base64 -w0 < ${d}/${i}.err; echo; else echo none; fi`,
  );
  const script = [
    `[ -d ${d} ] || { echo missing; exit 0; }`,
    `[ -e ${d}/status ] || { echo running; exit 0; }`,
    `echo "done $(cat ${d}/status)"`,
    ...perCommand,
  ].join('\n');
  return new Query(script, (res) => parseJob(res.stdout, commands), { what: `async job ${dir}`, live: true });
}

function parseJob(stdout: string, commands: number): JobState {
  const lines = stdout.split('\n');
  const [state, status] = (lines.shift() ?? '').split(' ');
  if (state === 'running') return { state: 'running' };
  if (state !== 'done') return { state: 'missing' };
  const outputs: (CommandOutput | undefined)[] = [];
  for (let i = 0; i < commands; i++) {
    const head = (lines.shift() ?? 'none').split(' ');
    if (head[0] !== 'ran') {
      outputs.push(undefined);
      continue;
    }
    const [, rc, start, end] = head;
    const text = (b64: string | undefined) => Buffer.from(b64 ?? '', 'base64').toString('utf8');
    outputs.push({ rc: Number(rc), seconds: Math.max(0, Number(end) - Number(start)) || 0, stdout: text(lines.shift()), stderr: text(lines.shift()) });
  }
  return { state: 'done', timedOut: TIMED_OUT.has(Number(status)), outputs };
}

/** What a job's task registers: its id and place, and once done the commands' results merged. */
export function jobResult(job: AsyncJob, found: JobState): Record<string, unknown> {
  const base = { ansible_job_id: job.jid, results_file: job.dir, started: 1 };
  if (found.state === 'missing') return { ...base, finished: 1, failed: true, msg: 'could not find job' };
  if (found.state === 'running') return { ...base, finished: 0, changed: false };
  if (found.timedOut) return { ...base, finished: 1, failed: true, changed: false, msg: `Job reached maximum time limit of ${job.limit} seconds.` };
  const result: Record<string, unknown> = { changed: true };
  for (const [i, output] of found.outputs.entries()) {
    if (!output || result.failed) break;
    try {
      Object.assign(result, job.finishers[i]({ rc: output.rc, stdout: output.stdout, stderr: output.stderr }, output.seconds));
    } catch (err) {
      Object.assign(result, { failed: true, msg: (err as Error).message });
    }
  }
  return { ...result, ...base, finished: 1 };
}

/** Makes the job directory (private to the user) and prints its full path. */
export const jobDirScript = (jid: string) => `d="$HOME/.ansible_async/${jid}"; mkdir -p "$d" && chmod 700 "$d" && printf '%s\\n' "$d"`;

/**
 * Starts the commands (their scripts and stdin written as <i>.sh and <i>.in already) one after
 * the other, each one's end noted; a command that fails ends the job. They run under GNU timeout
 * in a session of their own (setsid): the connection may close, the job goes on. `status`,
 * written last, says that it ended and how (timeout's 124/137 only when it was ended).
 */
export function launchScript(dir: string, cwds: (string | undefined)[], limit: number): string {
  const d = quote(dir);
  const run = cwds.map((cwd, i) =>
    [
      's=$(date +%s.%N)',
      `(${cwd === undefined ? '' : `cd ${quote(cwd)} && `}sh ${d}/${i}.sh) < ${d}/${i}.in > ${d}/${i}.out 2> ${d}/${i}.err; rc=$?`,
      `echo "$s $(date +%s.%N)" > ${d}/${i}.time; echo $rc > ${d}/${i}.rc`,
      '[ $rc = 0 ] || exit 0',
    ].join('\n'),
  );
  const wrap = `timeout -k 5 ${limit} sh ${d}/run.sh; echo $? > ${d}/status.tmp && mv ${d}/status.tmp ${d}/status`;
  return [
    `cat > ${d}/run.sh <<'ENGINE_ASYNC_EOF'`,
    ...run,
    'ENGINE_ASYNC_EOF',
    `printf '%s\\n' ${quote(wrap)} > ${d}/wrap.sh`,
    `setsid sh ${d}/wrap.sh < /dev/null > /dev/null 2>&1 &`,
  ].join('\n');
}
