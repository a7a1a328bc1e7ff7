// A task with `async: N`: its steps' commands start in the background on the host (see
// modules/util/async-jobs.ts) and may run N seconds. With `poll: P` > 0 the task checks every P
// seconds, as Ansible's does, and ends with the commands' result; with `poll: 0` it ends at once
// with the job's id, for async_status to read later in the run.
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { quote } from '../connection/quote';
import { ModuleError, type Step } from '../modules/types';
import { type AsyncJob, jobDirScript, jobQuery, jobResult, launchScript, rememberJob } from '../modules/util/async-jobs';
import { commandOf, type Exec, runQuery, type StepCommand } from './steps';

export interface AsyncOptions {
  host: string;
  /** Seconds the job may run. */
  limit: number;
  /** Seconds between checks; 0: do not wait. */
  poll: number;
}

/** The steps as commands that can run unattended: commands and plain writes, not controller work. */
function backgroundCommands(steps: Step[]): StepCommand[] {
  return steps.map((step) => {
    if (step.kind === 'run' || (step.kind === 'write' && !step.validate)) return commandOf(step);
    throw new ModuleError("async is not supported for this task: its changes need the controller's work between commands");
  });
}

async function must(exec: Exec, script: string, stdin?: string | Buffer): Promise<string> {
  const res = await exec(script, stdin === undefined ? undefined : { stdin });
  if (res.rc !== 0) throw ModuleError.ofCommand('starting the async job', res);
  return res.stdout;
}

/** Writes the job's commands to the host and starts them; the job is remembered for async_status. */
async function startJob(exec: Exec, steps: Step[], options: AsyncOptions): Promise<AsyncJob> {
  const commands = backgroundCommands(steps);
  const jid = `j${randomInt(1e11, 1e12)}.${process.pid}`;
  const dir = (await must(exec, jobDirScript(jid))).trim();
  for (const [i, command] of commands.entries()) {
    await must(exec, `cat > ${quote(`${dir}/${i}.sh`)}`, command.script);
    await must(exec, `cat > ${quote(`${dir}/${i}.in`)}`, command.stdin ?? '');
  }
  await must(
    exec,
    launchScript(
      dir,
      commands.map((c) => c.cwd),
      options.limit,
    ),
  );
  const job = { host: options.host, jid, dir, limit: options.limit, finishers: commands.map((c) => c.finish.bind(c)) };
  rememberJob(job);
  return job;
}

/** Runs the steps as an async job; with poll > 0 waits for it as Ansible's poll loop does. */
export async function runAsync(exec: Exec, steps: Step[], options: AsyncOptions): Promise<Record<string, unknown>> {
  const job = await startJob(exec, steps, options);
  if (options.poll <= 0) return { ansible_job_id: job.jid, results_file: job.dir, started: 1, finished: 0, changed: true, msg: '' };
  const query = jobQuery(job.dir, job.finishers.length);
  for (let left = options.limit; left > 0; left -= options.poll) {
    await sleep(options.poll * 1000);
    const found = await runQuery(exec, query);
    if (found.state === 'running') continue;
    await exec(`rm -rf ${quote(job.dir)}`);
    if (found.state === 'done' && found.timedOut) break;
    return jobResult(job, found);
  }
  return {
    failed: true,
    changed: false,
    async_result: { ansible_job_id: job.jid, results_file: job.dir, started: 1, finished: 0 },
    msg: `async task did not complete within the requested time - ${options.limit}s`,
  };
}
