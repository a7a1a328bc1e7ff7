// A run killed in the middle of writing a file leaves the old file whole and no partial one.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { engine, project, ROOT } from '../helpers/engine';
import { type HostSet, startHosts } from '../helpers/sshd';

let set: HostSet;
beforeAll(async () => {
  set = await startHosts(1, 'atomic');
});
afterAll(async () => set?.stop());

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

it('killing the engine mid-upload never leaves a half-written file', async () => {
  const host = set.hosts[0];
  const dest = join(host.root, 'big.bin');
  const old = Buffer.from('the previous, complete content\n');
  writeFileSync(dest, old);
  // 200 MB takes long enough over ssh that the kill lands during the upload.
  const dir = project({ 'play.yml': `- hosts: all\n  gather_facts: false\n  tasks:\n    - copy: { src: big.bin, dest: "{{ root }}/big.bin" }\n` });
  const big = Buffer.alloc(200 * 1024 * 1024, 'x');
  require('node:fs').mkdirSync(join(dir, 'files'), { recursive: true });
  writeFileSync(join(dir, 'files', 'big.bin'), big);
  const child = spawn(join(ROOT, 'node_modules/.bin/ts-node'), [join(ROOT, 'engine'), 'run', join(dir, 'play.yml'), '-i', set.inventory()], {
    cwd: ROOT,
    env: { ...process.env, CI: 'true' },
    stdio: 'ignore',
  });
  // Wait until the temp file exists and is growing on the host, then kill the whole engine.
  const deadline = Date.now() + 30000;
  const temp = () => readdirSync(host.root).find((f) => f.startsWith('.big.bin.'));
  while (!temp() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(temp()).toBeDefined();
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  // sshd notices the dropped connection and the remote shell's trap removes the temp file.
  const cleanDeadline = Date.now() + 10000;
  while (temp() && Date.now() < cleanDeadline) await new Promise((r) => setTimeout(r, 50));
  expect(sha(readFileSync(dest))).toBe(sha(old));
  expect(temp()).toBeUndefined();
  expect(existsSync(dest)).toBe(true);
});

it('an upload whose checksum does not match on the host is refused; the old file stays, no temp file is left', async () => {
  const host = set.hosts[0];
  const dest = join(host.root, 'checked.conf');
  writeFileSync(dest, 'old\n');
  // This host's sha256sum answers wrongly: what arrived cannot be shown to be what was sent.
  const bin = join(host.root, 'liarbin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'sha256sum'), `#!/bin/sh\ncat >/dev/null\necho ${'0'.repeat(64)}  -\n`);
  chmodSync(join(bin, 'sha256sum'), 0o755);
  const dir = project({
    'play.yml': `- hosts: all\n  gather_facts: false\n  environment: { PATH: "${bin}:/usr/bin:/bin" }\n  tasks:\n    - copy: { content: "new\\n", dest: "{{ root }}/checked.conf" }\n`,
  });
  const run = await engine(['run', join(dir, 'play.yml'), '-i', set.inventory()]);
  expect(run.code, run.stdout).toBe(2);
  expect(run.stdout).toContain('upload incomplete, file left unchanged');
  expect(readFileSync(dest, 'utf8')).toBe('old\n');
  expect(readdirSync(host.root).filter((f) => f.includes('.engine-'))).toEqual([]);
});
