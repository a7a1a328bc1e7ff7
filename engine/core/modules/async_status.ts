// async_status: how an async job (a task with `async:` and `poll: 0`) of this run is doing; once
// it has ended, the result its task would have had. mode=cleanup removes the job's directory.
import { quote } from '../connection/quote';
import { type JobState, findJob, jobQuery, jobResult } from './util/async-jobs';
import type { Module } from './types';

interface StatusArgs {
  jid: string;
  mode?: 'status' | 'cleanup';
}

export const async_status: Module<StatusArgs, JobState | undefined> = {
  name: 'async_status',
  freeForm: 'kv',
  schema: {
    type: 'object',
    description: 'Reports on an async job this run started (a task with async: and poll: 0): running, or its result once ended.',
    properties: {
      jid: { type: 'string', description: 'The job id: the ansible_job_id the async task registered.' },
      mode: { enum: ['status', 'cleanup'], description: 'status (default): report on the job; cleanup: remove its directory on the host.' },
    },
    required: ['jid'],
    additionalProperties: false,
  },
  probe(args, ctx) {
    const job = findJob(ctx.host, args.jid);
    if (!job || args.mode === 'cleanup') return Promise.resolve(undefined);
    return jobQuery(job.dir, job.finishers.length);
  },
  plan(args, found, ctx) {
    const job = findJob(ctx.host, args.jid);
    // A job of another run (or of Ansible) cannot be read: what makes its result lives in that run.
    if (!job) return { changed: false, failed: true, msg: 'could not find job', result: { ansible_job_id: args.jid, started: 1, finished: 1 } };
    if (args.mode === 'cleanup') {
      return {
        changed: false,
        msg: `removes ${job.dir}`,
        result: { ansible_job_id: job.jid, erased: job.dir },
        steps: [{ kind: 'run', script: `rm -rf ${quote(job.dir)}` }],
      };
    }
    const result = jobResult(job, found ?? { state: 'missing' });
    return { changed: Boolean(result.changed), failed: Boolean(result.failed), msg: String(result.msg ?? ''), result };
  },
};
