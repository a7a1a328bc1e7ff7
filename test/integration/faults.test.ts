// Faults are per host, never per run: an exception, an undefined variable, a hung or reset
// connection fails or drops that host with the reason, and every other host finishes the play.
// The same playbook gives the same exit code and recap on a terminal, in plain text and in --json.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engine, project, recap, ROOT } from '../helpers/engine';
import { type Mode, runIn } from '../helpers/output';
import { type HostSet, sessionProcesses, signalAll, startHosts } from '../helpers/sshd';

let set: HostSet;
beforeAll(async () => {
  set = await startHosts(3, 'flt');
});
afterAll(async () => set?.stop());

async function waitFor(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each<Mode>(['plain', 'json', 'tty'])('in %s output', (mode) => {
  it('an exception in a task fails that host only; its next task does not run; exit 2', async () => {
    const [a, b] = set.hosts;
    for (const h of [a, b]) writeFileSync(join(h.root, 'keep'), 'data\n');
    const dir = project({
      'play.yml': `- hosts: all
  gather_facts: false
  tasks:
    - lineinfile: { path: "{{ root }}/keep", regexp: "{{ bad_regexp | default('^data$') }}", line: data }
    - file: { path: "{{ root }}/keep", state: absent }
`,
    });
    const inv = set.inventory({ [a.name]: { bad_regexp: '(' } });
    const run = await runIn(mode, ['run', join(dir, 'play.yml'), '-i', inv, '--limit', `${a.name}:${b.name}`]);
    expect(run.code, run.output).toBe(2);
    expect(Object.keys(run.recap).sort()).toEqual([a.name, b.name]);
    expect(run.recap[a.name]).toMatchObject({ ok: 0, failed: 1 });
    expect(run.recap[b.name]).toMatchObject({ ok: 2, changed: 1, failed: 0 });
    expect(run.output).toMatch(/missing \), unterminated subpattern/);
    expect(run.output).not.toMatch(/at \S+\.ts:\d+/); // a message, not a stack trace
    expect(readFileSync(join(a.root, 'keep'), 'utf8')).toBe('data\n'); // the delete never ran there
    expect(existsSync(join(b.root, 'keep'))).toBe(false);
  });

  it('an undefined variable in when fails that host only; the others finish', async () => {
    const [a, b] = set.hosts;
    const dir = project({
      'play.yml': '- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: { msg: checked }\n      when: flag_x\n    - debug: { msg: after }\n',
    });
    // Only flt2 defines flag_x.
    const run = await runIn(mode, ['run', join(dir, 'play.yml'), '-i', set.inventory({ [b.name]: { flag_x: true } }), '--limit', `${a.name}:${b.name}`]);
    expect(run.code, run.output).toBe(2);
    expect(run.recap[a.name]).toMatchObject({ ok: 0, failed: 1 });
    expect(run.recap[b.name]).toMatchObject({ ok: 2, failed: 0 });
    expect(run.output).toMatch(/undefined variable 'flag_x'/);
  });
});

it('a host whose ssh session hangs mid-command is UNREACHABLE with the reason; the others finish', async () => {
  const [a, b, c] = set.hosts;
  const dir = project({
    'play.yml': `- hosts: all
  gather_facts: false
  tasks:
    - command: sleep 4
    - copy: { content: "second\\n", dest: "{{ root }}/second" }
`,
  });
  const inv = set.inventory(
    Object.fromEntries(set.hosts.map((h) => [h.name, { ansible_ssh_extra_args: '-o ServerAliveInterval=1 -o ServerAliveCountMax=2' }])),
  );
  const pending = engine(['run', join(dir, 'play.yml'), '-i', inv]);
  await waitFor(() => sessionProcesses(a).length > 0);
  await new Promise((r) => setTimeout(r, 1000)); // the sleep is running
  const frozen = sessionProcesses(a);
  signalAll(frozen, 'SIGSTOP');
  try {
    const run = await pending;
    expect(run.code, run.stdout + run.stderr).toBe(4);
    expect(run.stderr).not.toMatch(/internal error|Keepalive/i);
    const r = recap(run.stdout);
    expect(r[a.name]).toMatchObject({ unreachable: 1, failed: 0 });
    for (const h of [b, c]) expect(r[h.name]).toMatchObject({ ok: 2, changed: 2, unreachable: 0 });
    expect(run.stdout).toMatch(new RegExp(`fatal: \\[${a.name}\\]: UNREACHABLE! .*ssh connection lost: Keepalive timeout`));
    expect(existsSync(join(a.root, 'second'))).toBe(false);
  } finally {
    signalAll(frozen, 'SIGCONT');
    // Thawed, the old session sees its connection gone and ends; its run lock goes within a second.
    await waitFor(() => sessionProcesses(a).length === 0, 20_000);
    await waitFor(() => spawnSync('flock', ['-n', join(a.root, '..', 'engine.lock'), 'true']).status === 0, 5_000);
  }
}, 60_000);

it('a connection reset mid-upload makes that host UNREACHABLE, leaves no partial file, and the others finish', async () => {
  const [a, b] = set.hosts;
  const big = 'x'.repeat(64 * 1024 * 1024);
  const dir = project({
    'files/big.bin': big,
    'play.yml': `- hosts: all\n  gather_facts: false\n  tasks:\n    - copy: { src: big.bin, dest: "{{ root }}/big.bin" }\n`,
  });
  let finished: { code: number; stdout: string } | undefined;
  const pending = engine(['run', join(dir, 'play.yml'), '-i', set.inventory(), '--limit', `${a.name}:${b.name}`]).then((r) => (finished = r));
  // Once the upload to flt1 has begun (its temp file exists), its sessions are killed: a reset.
  await waitFor(() => finished !== undefined || readdirSync(a.root).some((f) => f.startsWith('.big.bin.')), 60_000);
  expect(finished?.stdout, 'the run ended before the upload could be cut').toBeUndefined();
  signalAll(sessionProcesses(a), 'SIGKILL');
  const run = await pending;
  expect(run.code, run.stdout + run.stderr).toBe(4);
  expect(run.stderr).not.toMatch(/internal error|ECONNRESET/);
  const r = recap(run.stdout);
  expect(r[a.name]).toMatchObject({ unreachable: 1 });
  expect(r[b.name]).toMatchObject({ ok: 1, changed: 1, unreachable: 0 });
  expect(readFileSync(join(b.root, 'big.bin')).length).toBe(big.length);
  expect(existsSync(join(a.root, 'big.bin'))).toBe(false);
  // A re-run converges: the whole file arrives, and the temp file the killed write left is gone.
  const again = await engine(['run', join(dir, 'play.yml'), '-i', set.inventory(), '--limit', `${a.name}:${b.name}`]);
  expect(again.code, again.stdout).toBe(0);
  expect(recap(again.stdout)[a.name]).toMatchObject({ changed: 1 });
  expect(recap(again.stdout)[b.name]).toMatchObject({ changed: 0 });
  expect(readFileSync(join(a.root, 'big.bin')).length).toBe(big.length);
  expect(readdirSync(a.root).filter((f) => f.startsWith('.big.bin.'))).toEqual([]);
}, 120_000);

it('timeout ends the task and its command on the host; a bad ansible_timeout fails that host with a message', async () => {
  const [a, b] = set.hosts;
  const marker = `30.${Date.now() % 100000}`;
  const dir = project({
    'play.yml': `- hosts: all
  gather_facts: false
  tasks:
    - command: "sleep ${marker}"
      timeout: 2
`,
  });
  const started = Date.now();
  const run = await engine(['run', join(dir, 'play.yml'), '-i', set.inventory({ [b.name]: { ansible_timeout: 'abc' } }), '--limit', `${a.name}:${b.name}`]);
  const elapsed = Date.now() - started;
  expect(run.code, run.stdout).toBe(2);
  expect(elapsed).toBeLessThan(25_000); // the sleep ran 30 s: the task ended well before it
  expect(recap(run.stdout)[a.name]).toMatchObject({ failed: 1 });
  expect(run.stdout).toMatch(/failed to execute in the expected time frame \(2\) and was terminated/);
  expect(recap(run.stdout)[b.name]).toMatchObject({ failed: 1 });
  expect(run.stdout).toMatch(/ansible_timeout must be a positive number of seconds, got 'abc'/);
  // Nothing of the command is left running on the host.
  const left = execFileSync('ps', ['-eo', 'args'])
    .toString()
    .split('\n')
    .filter((l) => l.includes(`sleep ${marker}`));
  expect(left).toEqual([]);
});

it('the run lock is one shell waiting on its stdin: while a run holds a host idle, nothing runs there', async () => {
  const [a] = set.hosts;
  const dir = project({ 'play.yml': '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: "true"\n    - pause: { seconds: 4 }\n' });
  const run = spawn(join(ROOT, 'node_modules/.bin/ts-node'), [join(ROOT, 'engine'), 'run', join(dir, 'play.yml'), '-i', set.inventory(), '--limit', a.name], {
    cwd: ROOT,
    env: { ...process.env, CI: 'true' },
    stdio: 'ignore',
  });
  try {
    const shells = () => sessionProcesses(a).filter((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'sshd');
    await waitFor(() => shells().length > 0, 20_000);
    await new Promise((r) => setTimeout(r, 1000)); // the command ran; the pause holds the host
    const first = shells();
    const seen = new Set<number>(first);
    for (let i = 0; i < 12; i++) {
      for (const pid of shells()) seen.add(pid);
      await new Promise((r) => setTimeout(r, 150));
    }
    // The same shells throughout (the login shell and the lock's): a watcher that polled would
    // start a program every second.
    expect([...seen]).toEqual(first);
    expect(first.map((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim())).toEqual(first.map(() => 'sh'));
  } finally {
    run.kill('SIGKILL');
  }
  await waitFor(() => spawnSync('flock', ['-n', join(a.root, '..', 'engine.lock'), 'true']).status === 0, 5_000);
}, 60_000);

it('one run at a time per host: a second run is refused with the holder; a killed run leaves no lock behind', async () => {
  const [a] = set.hosts;
  const inv = set.inventory();
  // Long enough that the second run's wait for the lock (a few seconds' grace) ends first.
  const dir = project({ 'play.yml': '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: sleep 15\n' });
  const pb = join(dir, 'play.yml');
  const first = spawn(join(ROOT, 'node_modules/.bin/ts-node'), [join(ROOT, 'engine'), 'run', pb, '-i', inv, '--limit', a.name], {
    cwd: ROOT,
    env: { ...process.env, CI: 'true' },
    stdio: 'ignore',
  });
  try {
    await waitFor(() => sessionProcesses(a).length > 0, 20_000);
    await new Promise((r) => setTimeout(r, 1500)); // the lock is taken and the sleep runs
    const second = await engine(['run', pb, '-i', inv, '--limit', a.name]);
    expect(second.code, second.stdout).toBe(2);
    expect(second.stdout).toMatch(
      new RegExp(`another run holds the lock .* run of ${pb.replace(/[/.]/g, '\\$&')} by \\S+ \\(pid ${first.pid}\\) since \\d{4}-`),
    );
  } finally {
    first.kill('SIGKILL');
  }
  // The killed run's session ends, its watcher lets go: the next run gets the host.
  const deadline = Date.now() + 10_000;
  let third = await engine(['run', pb, '-i', inv, '--limit', a.name, '-e', 'unused=1']);
  while (third.code !== 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    third = await engine(['run', pb, '-i', inv, '--limit', a.name]);
  }
  expect(third.code, third.stdout).toBe(0);
}, 90_000);
