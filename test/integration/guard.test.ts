// A change planned from an answer fetched ahead is made only if the host, in the same script,
// answers the probe as before (run/guard.ts): checked with a real /bin/sh (local connection), on
// answers whose shape a shell gets wrong easily (backslashes, leading blanks, empty lines, no
// final newline, an exit status).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalConnection } from '../../engine/core/connection/local';
import { quotePath } from '../../engine/core/connection/quote';
import type { ExecOptions, ExecResult } from '../../engine/core/connection/types';
import { Query } from '../../engine/core/modules/types';
import { applyConfirmed } from '../../engine/core/run/guard';
import type { Exec } from '../../engine/core/run/steps';

const dir = mkdtempSync(join(tmpdir(), 'engine-guard-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const local = new LocalConnection('localhost');
const scripts: string[] = [];
const exec: Exec = (script, options?: Pick<ExecOptions, 'stdin' | 'cwd'>) => {
  scripts.push(script);
  return local.run(script, options);
};

/** A probe whose answer is the file's text as it is (exit 3 when it is absent). */
const look = (file: string) => new Query(`cat ${quotePath(file)} 2>/dev/null || exit 3`, (res) => res, { anyStatus: true });
const answerNow = (file: string) => exec(look(file).script);

const SHAPES: Record<string, string> = {
  plain: 'one line\n',
  'backslashes, blanks, empty lines, no final newline': '  lead\\ing \\n and \\\\\n\n\ttab\n\nlast',
  'only newlines': '\n\n\n',
  empty: '',
};

describe('a change confirmed on the host', () => {
  it.each(Object.entries(SHAPES))('the same answer (%s): the step runs in that round trip', async (_shape, text) => {
    const file = join(dir, 'same');
    writeFileSync(file, text);
    const answer = await answerNow(file);
    const target = join(dir, 'made');
    const before = scripts.length;
    const done = await applyConfirmed(exec, look(file), answer, { kind: 'run', script: `printf made > ${quotePath(target)}; echo out` });
    expect(done).toEqual({ applied: {} });
    expect(scripts.length - before).toBe(1);
    expect(readFileSync(target, 'utf8')).toBe('made');
    rmSync(target);
  });

  it('a changed answer: nothing is made, and the new answer comes back from the same round trip', async () => {
    const file = join(dir, 'changed');
    writeFileSync(file, 'A=1\n');
    const answer = await answerNow(file);
    writeFileSync(file, 'A=1\nKEEP=1\n');
    const write = { kind: 'write' as const, path: file, content: Buffer.from('A=1\nPORT=1\n') };
    const done = (await applyConfirmed(exec, look(file), answer, write)) as { fresh: ExecResult };
    expect(done.fresh).toEqual({ rc: 0, stdout: 'A=1\nKEEP=1\n', stderr: '' });
    expect(readFileSync(file, 'utf8')).toBe('A=1\nKEEP=1\n');
  });

  it('an exit status that changed is a changed answer; a file that appeared too', async () => {
    const file = join(dir, 'appears');
    rmSync(file, { force: true });
    const answer = await answerNow(file);
    expect(answer.rc).toBe(3);
    writeFileSync(file, '');
    const done = (await applyConfirmed(exec, look(file), answer, { kind: 'run', script: 'exit 9' })) as { fresh: ExecResult };
    expect(done.fresh).toEqual({ rc: 0, stdout: '', stderr: '' });
  });

  it('a write confirmed: written whole, through the checksum, and the answer never in the script', async () => {
    const file = join(dir, 'secret.conf');
    writeFileSync(file, 'password=hunter2\n');
    const answer = await answerNow(file);
    const write = { kind: 'write' as const, path: file, content: Buffer.from('password=correct horse\n'), mode: '0600' };
    const done = await applyConfirmed(exec, look(file), answer, write);
    expect(done).toEqual({ applied: {} });
    expect(readFileSync(file, 'utf8')).toBe('password=correct horse\n');
    expect(scripts.at(-1)).not.toContain('hunter2');
    expect(scripts.at(-1)).not.toContain('correct horse');
  });

  it('what cannot be compared this way is left to a probe first: an answer with stderr, a validated write', async () => {
    const noisy: ExecResult = { rc: 0, stdout: 'x\n', stderr: 'warning\n' };
    expect(await applyConfirmed(exec, look(join(dir, 'x')), noisy, { kind: 'run', script: 'true' })).toBeUndefined();
    const quiet: ExecResult = { rc: 0, stdout: 'x\n', stderr: '' };
    const validated = { kind: 'write' as const, path: join(dir, 'v'), content: Buffer.from('v'), validate: 'true %s' };
    expect(await applyConfirmed(exec, look(join(dir, 'x')), quiet, validated)).toBeUndefined();
  });
});
