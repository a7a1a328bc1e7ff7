// async jobs (a task's commands in the background on the host) read back by async_status, and
// script, which copies a local script to the host and runs it: plans on fixture states.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { async_status } from '../../../engine/core/modules/async_status';
import { script } from '../../../engine/core/modules/script';
import type { RunStep } from '../../../engine/core/modules/types';
import { jobQuery, jobResult, rememberJob } from '../../../engine/core/modules/util/async-jobs';
import { answer, planContext } from '../../helpers/modules';

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('async_status', () => {
  const job = {
    host: 'node1',
    jid: 'j1.2',
    dir: '/home/u/.ansible_async/j1.2',
    limit: 30,
    finishers: [(res: { rc: number; stdout: string }, seconds: number) => ({ rc: res.rc, out: res.stdout, seconds, failed: res.rc !== 0 })],
  };
  rememberJob(job);

  it('a running job is not finished and changes nothing', () => {
    const { found } = answer(async_status.probe!({ jid: 'j1.2' }, planContext()), { stdout: 'running\n' });
    expect(async_status.plan({ jid: 'j1.2' }, found, planContext())).toMatchObject({
      changed: false,
      result: { finished: 0, started: 1, ansible_job_id: 'j1.2' },
    });
  });

  it("an ended job gives its commands' result, read by the step's own reader", () => {
    const { found, scripts } = answer(async_status.probe!({ jid: 'j1.2' }, planContext()), { stdout: `done 0\nran 3 10.5 12.0\n${b64('hi\n')}\n${b64('')}\n` });
    expect(scripts[0]).toContain('/home/u/.ansible_async/j1.2/status');
    expect(async_status.plan({ jid: 'j1.2' }, found, planContext())).toMatchObject({
      changed: true,
      failed: true,
      result: { rc: 3, out: 'hi\n', seconds: 1.5, finished: 1, results_file: job.dir },
    });
  });

  it('a job ended by its time limit, a job of another run, and cleanup', () => {
    expect(jobResult(job, { state: 'done', timedOut: true, outputs: [undefined] })).toMatchObject({
      failed: true,
      msg: 'Job reached maximum time limit of 30 seconds.',
    });
    expect(async_status.plan({ jid: 'j9.9' }, undefined, planContext())).toMatchObject({ failed: true, msg: 'could not find job' });
    expect(async_status.plan({ jid: 'j1.2' }, undefined, planContext({ host: 'node2' }))).toMatchObject({ failed: true });
    const cleanup = async_status.plan({ jid: 'j1.2', mode: 'cleanup' }, undefined, planContext());
    expect((cleanup.steps![0] as RunStep).script).toBe('rm -rf /home/u/.ansible_async/j1.2');
    expect(cleanup.result).toEqual({ ansible_job_id: 'j1.2', erased: job.dir });
  });

  it('a command that never started is left out of the result', () => {
    const { found } = answer(jobQuery(job.dir, 2), { stdout: `done 0\nran 0 1 2\n${b64('a')}\n\nnone\n` });
    expect(found).toEqual({ state: 'done', timedOut: false, outputs: [{ rc: 0, seconds: 1, stdout: 'a', stderr: '' }, undefined] });
  });
});

describe('script', () => {
  const dir = mkdtempSync(join(tmpdir(), 'script-'));
  writeFileSync(join(dir, 'hello.sh'), '#!/bin/sh\necho "hello $1"\n');
  const ctx = planContext({ findLocal: (_kind, name) => join(dir, name) });

  it('sends the script on stdin to a private temp dir and runs the line with it in place', () => {
    const out = script.plan({ cmd: "hello.sh 'a b'", chdir: '/srv' }, {}, ctx);
    const step = out.steps![0] as RunStep;
    expect(out.changed).toBe(true);
    expect(step.stdin!.toString()).toBe('#!/bin/sh\necho "hello $1"\n');
    expect(step.script).toContain(`(cd /srv && "$t"/hello.sh 'a b') < /dev/null`);
    expect(step.result!({ rc: 0, stdout: 'hello a b\n', stderr: '', seconds: 0 })).toEqual({
      rc: 0,
      stdout: 'hello a b\n',
      stderr: '',
      stdout_lines: ['hello a b'],
      stderr_lines: [],
      failed: false,
      msg: '',
    });
    expect(step.result!({ rc: 2, stdout: '', stderr: 'x', seconds: 0 })).toMatchObject({ failed: true, msg: 'non-zero return code' });
  });

  it('creates/removes skip it; check mode skips it unless they predict it; chdir must be absolute', () => {
    expect(script.plan({ cmd: 'hello.sh', creates: '/x' }, { createsExists: true }, ctx)).toMatchObject({
      changed: false,
      msg: '/x exists, matching creates option',
      result: { skipped: true },
    });
    expect(script.plan({ cmd: 'hello.sh' }, {}, { ...ctx, check: true })).toMatchObject({ changed: false, result: { skipped: true } });
    expect(script.plan({ cmd: 'hello.sh', removes: '/y' }, { removesExists: true }, { ...ctx, check: true })).toMatchObject({ changed: true });
    expect(script.plan({ cmd: 'hello.sh', executable: 'bash' }, {}, ctx).steps![0]).toMatchObject({ script: expect.stringContaining('bash "$t"/hello.sh') });
    expect(script.plan({ cmd: 'hello.sh', chdir: 'rel' }, {}, ctx)).toMatchObject({
      failed: true,
      msg: 'chdir rel must be an absolute path for a Unix-aware remote node',
    });
  });
});
