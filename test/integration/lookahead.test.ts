// Probes fetched ahead (run/lookahead.ts) against a real sshd host whose sshd logs every command it
// runs: a no-op re-run costs a few round trips for many tasks, a first run about one per change;
// a task still sees what the task before it changed and the variables it set; a change decided
// on an answer fetched ahead is made only if the host still answers so (run/guard.ts).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engine, project, recap, ROOT } from '../helpers/engine';
import { type HostSet, startHosts } from '../helpers/sshd';

let set: HostSet;
let inventory: string;
let root: string;
let log: string;

beforeAll(async () => {
  set = await startHosts(1, 'ahead', ['ed25519'], { logCommands: true });
  inventory = set.inventory();
  root = set.hosts[0].root;
  log = join(root, '..', 'commands.log');
});
afterAll(async () => {
  await set?.stop();
});

/** The commands the host ran since the log was last cleared. */
function commandsRun(): string[] {
  return readFileSync(log, 'utf8').split('\0').filter(Boolean);
}
const clearLog = () => writeFileSync(log, '');

describe('probes fetched ahead', () => {
  it('a no-op re-run of 24 file tasks takes a few round trips, in check mode too', async () => {
    const tasks = Array.from({ length: 8 }, (_, i) => [
      `    - file: { path: "{{ root }}/d${i}", state: directory, mode: "0750" }`,
      `    - copy: { content: "n=${i}\\n", dest: "{{ root }}/d${i}/c.conf" }`,
      `    - lineinfile: { path: "{{ root }}/d${i}/env", line: "N=${i}", create: true }`,
    ]).flat();
    const dir = project({ 'site.yml': `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks.join('\n')}\n` });
    const first = await engine(['run', join(dir, 'site.yml'), '-i', inventory]);
    expect(first.code, first.stdout).toBe(0);
    expect(recap(first.stdout, ['ahead1']).ahead1.changed).toBe(24);
    for (const mode of [[], ['--check']]) {
      clearLog();
      const again = await engine(['run', join(dir, 'site.yml'), '-i', inventory, ...mode]);
      expect(again.code, again.stdout).toBe(0);
      expect(recap(again.stdout, ['ahead1']).ahead1).toMatchObject({ ok: 24, changed: 0 });
      // The run lock, then the probes in windows of 8, 16, ... tasks: far fewer than one per task.
      const ran = commandsRun();
      expect(ran.length, ran.map((c) => c.split('\n')[0]).join('\n')).toBeLessThanOrEqual(5);
      expect(ran.filter((c) => c.includes('Q-')).length).toBeGreaterThanOrEqual(2);
    }
  });

  it('a first run makes each change in the round trip that confirms its answer; the login shell /bin/sh runs commands itself', async () => {
    const tasks = Array.from({ length: 8 }, (_, i) => [
      `    - file: { path: "{{ root }}/f${i}", state: directory, mode: "0750" }`,
      `    - copy: { content: "n=${i}\\n", dest: "{{ root }}/f${i}/c.conf", mode: "0640" }`,
      `    - blockinfile: { path: "{{ root }}/f${i}/hosts", block: "10.0.0.${i} n${i}", create: true }`,
    ]).flat();
    const dir = project({ 'site.yml': `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks.join('\n')}\n` });
    clearLog();
    const first = await engine(['run', join(dir, 'site.yml'), '-i', inventory]);
    expect(first.code, first.stdout).toBe(0);
    expect(recap(first.stdout, ['ahead1']).ahead1.changed).toBe(24);
    const ran = commandsRun();
    // The lock, a few windows of probes, and one command per change: not a probe and then a step.
    expect(ran.length, ran.map((c) => c.split('\n')[0]).join('\n')).toBeLessThanOrEqual(24 + 5);
    expect(ran.filter((c) => c.startsWith('IFS= read -r engine_n')).length).toBeGreaterThanOrEqual(20);
    // The test user's login shell is /bin/sh: after the lock (which says so), no command goes
    // through a second one.
    expect(ran[0]).toMatch(/^\/bin\/sh -c 'umask 000; exec 9>>/);
    expect(
      ran
        .slice(1)
        .filter((c) => c.startsWith('/bin/sh -c'))
        .map((c) => c.slice(0, 200)),
    ).toEqual([]);
    for (let i = 0; i < 8; i++) expect(readFileSync(join(root, `f${i}/c.conf`), 'utf8')).toBe(`n=${i}\n`);
  });

  it('a change planned from an answer that an earlier task made stale is not made: the task plans again from the new answer', async () => {
    // The copy's probe goes ahead with the command's; the command then writes what the copy
    // wants, so the copy, planned from "absent", finds on the host that nothing is left to do.
    const dir = project({
      'site.yml': `- hosts: all
  gather_facts: false
  tasks:
    - file: { path: "{{ root }}/stale", state: directory }
    - command: sh -c 'printf "x=1\\n" > {{ root }}/stale/x.conf'
    - copy: { content: "x=1\\n", dest: "{{ root }}/stale/x.conf" }
`,
    });
    const run = await engine(['run', join(dir, 'site.yml'), '-i', inventory, '--diff']);
    expect(run.code, run.stdout).toBe(0);
    expect(recap(run.stdout, ['ahead1']).ahead1).toMatchObject({ changed: 2, ok: 3 });
    expect(run.stdout).not.toContain('+x=1');
    expect(readFileSync(join(root, 'stale/x.conf'), 'utf8')).toBe('x=1\n');
  });

  it('a task sees what the task before it changed and the facts it set', async () => {
    const dir = project({
      'site.yml': `- hosts: all
  gather_facts: false
  tasks:
    - file: { path: "{{ root }}/seen", state: directory }
    - copy: { content: "first\\n", dest: "{{ root }}/seen/a" }
      register: wrote
    - stat: { path: "{{ root }}/seen/a" }
      register: s
    - set_fact: { sum: "{{ s.stat.checksum }}" }
    - copy: { content: "{{ sum }}\\n", dest: "{{ root }}/seen/b" }
    - lineinfile: { path: "{{ root }}/seen/a", line: "second" }
    - assert: { that: ["s.stat.exists", "s.stat.size == 6"] }
`,
    });
    const run = await engine(['run', join(dir, 'site.yml'), '-i', inventory]);
    expect(run.code, run.stdout).toBe(0);
    expect(readFileSync(join(root, 'seen/a'), 'utf8')).toBe('first\nsecond\n');
    expect(readFileSync(join(root, 'seen/b'), 'utf8')).toBe(`${createHash('sha1').update('first\n').digest('hex')}\n`);
  });

  it('a change decided on an answer fetched ahead is probed again before it applies: a file changed meanwhile is not overwritten', async () => {
    // Task 1 fetches task 3's probe ahead; task 2 waits (no step, so that answer stays valid)
    // while this test changes the file; task 3's plan from the old answer would write "PORT=1"
    // over the old content, losing the line added meanwhile.
    writeFileSync(join(root, 'env'), 'A=1\n');
    const dir = project({
      'site.yml': `- hosts: all
  gather_facts: false
  tasks:
    - file: { path: "{{ root }}/env", state: file }
    - wait_for: { path: "{{ root }}/go", timeout: 60, sleep: 0.2 }
    - lineinfile: { path: "{{ root }}/env", line: "PORT=1" }
`,
    });
    clearLog();
    const child = spawn(join(ROOT, 'node_modules/.bin/ts-node'), [join(ROOT, 'engine'), 'run', join(dir, 'site.yml'), '-i', inventory, '--json'], {
      cwd: ROOT,
      env: { ...process.env, CI: 'true' },
    });
    let out = '';
    const done = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d;
        if (out.includes('"kind":"host_start","task":"wait_for"')) resolve();
      });
    });
    expect(commandsRun().some((c) => c.includes('Q-'))).toBe(true);
    appendFileSync(join(root, 'env'), 'KEEP=1\n');
    writeFileSync(join(root, 'go'), '');
    expect(await done, out).toBe(0);
    expect(readFileSync(join(root, 'env'), 'utf8')).toBe('A=1\nKEEP=1\nPORT=1\n');
  });
});
