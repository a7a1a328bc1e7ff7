// What the README promises of the command line: exit codes (130 on Ctrl-C, which code wins),
// --forks, --limit patterns, `removes:`, `engine validate` changing nothing, `engine schema --write`.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import '../../engine/shipped';
import { schemaFiles } from '../../engine/core/schema/write';
import { engine, project, recap, ROOT } from '../helpers/engine';
import { runIn } from '../helpers/output';
import { type HostSet, startHosts } from '../helpers/sshd';

let set: HostSet;
beforeAll(async () => {
  set = await startHosts(3, 'cli');
});
afterAll(async () => set?.stop());

const names = () => set.hosts.map((h) => h.name);

it('Ctrl-C: the running task finishes on every host, no new task starts, the recap is printed, exit 130', async () => {
  const dir = project({
    'play.yml': `- hosts: all
  gather_facts: false
  tasks:
    - shell: "sleep 2; touch {{ root }}/first"
    - file: { path: "{{ root }}/second", state: touch }
`,
  });
  const child = spawn(join(ROOT, 'node_modules/.bin/ts-node'), [join(ROOT, 'engine'), 'run', join(dir, 'play.yml'), '-i', set.inventory()], {
    cwd: ROOT,
    env: { ...process.env, CI: 'true' },
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  // Interrupt once the first task is running on the hosts.
  while (!out.includes('TASK [shell]')) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 500));
  child.kill('SIGINT');
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  expect(code, out).toBe(130);
  expect(out).toContain('interrupted: no new task starts; waiting for running ones');
  for (const h of set.hosts) {
    expect(existsSync(join(h.root, 'first')), h.name).toBe(true);
    expect(existsSync(join(h.root, 'second')), h.name).toBe(false);
  }
  expect(Object.keys(recap(out, names()))).toHaveLength(3);
});

it('one host failed and another unreachable: exit 2 (a failure wins); only unreachable: exit 4', async () => {
  const dir = project({
    'play.yml': "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: \"{{ 'false' if inventory_hostname == bad else 'true' }}\"\n",
  });
  const [a, b] = set.hosts;
  // A host whose port nobody listens on: unreachable.
  const gone = { [b.name]: { ansible_port: 1 } };
  const both = await engine(['run', join(dir, 'play.yml'), '-i', set.inventory(gone), '-e', `bad=${a.name}`]);
  expect(both.code, both.stdout).toBe(2);
  expect(recap(both.stdout, names())[a.name].failed).toBe(1);
  expect(recap(both.stdout)[b.name].unreachable).toBe(1);
  const unreachableOnly = await engine(['run', join(dir, 'play.yml'), '-i', set.inventory(gone), '-e', 'bad=nobody']);
  expect(unreachableOnly.code, unreachableOnly.stdout).toBe(4);
});

it('--forks bounds how many hosts run a task at once', async () => {
  const log = join(set.dir, 'forks.log');
  const dir = project({ 'play.yml': `- hosts: all\n  gather_facts: false\n  tasks:\n    - shell: "echo start >> ${log}; sleep 1; echo end >> ${log}"\n` });
  const overlapOf = async (...args: string[]) => {
    writeFileSync(log, '');
    const run = await engine(['run', join(dir, 'play.yml'), '-i', set.inventory(), ...args]);
    expect(run.code, run.stdout).toBe(0);
    let running = 0;
    let most = 0;
    for (const line of readFileSync(log, 'utf8').trim().split('\n')) {
      running += line === 'start' ? 1 : -1;
      most = Math.max(most, running);
    }
    return most;
  };
  const { chmodSync } = await import('node:fs');
  writeFileSync(log, '');
  chmodSync(log, 0o666);
  expect(await overlapOf('--forks', '1')).toBe(1);
  expect(await overlapOf('--forks', '2')).toBe(2);
  expect(await overlapOf()).toBe(3);
});

it('--limit takes a:b and ~regex patterns', async () => {
  const dir = project({ 'play.yml': '- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: { msg: hi }\n' });
  const [a, b, c] = names();
  const hostsOf = async (pattern: string) =>
    Object.keys(recap((await engine(['run', join(dir, 'play.yml'), '-i', set.inventory(), '--limit', pattern])).stdout)).sort();
  expect(await hostsOf(`${a}:${c}`)).toEqual([a, c]);
  expect(await hostsOf(`~^cli[23]$`)).toEqual([b, c]);
  expect(await hostsOf(`all:!${b}`)).toEqual([a, c]);
});

it('command with removes: runs only while the path exists, in check mode predicted the same way', async () => {
  const [a] = set.hosts;
  const dir = project({
    'play.yml': `- hosts: all\n  gather_facts: false\n  tasks:\n    - command: "rm {{ root }}/lock"\n      args: { removes: "{{ root }}/lock" }\n`,
  });
  const run = (...args: string[]) => engine(['run', join(dir, 'play.yml'), '-i', set.inventory(), '--limit', a.name, ...args]);
  writeFileSync(join(a.root, 'lock'), '');
  expect(recap((await run('--check')).stdout, [a.name])[a.name].changed).toBe(1);
  expect(existsSync(join(a.root, 'lock'))).toBe(true);
  expect(recap((await run()).stdout, [a.name])[a.name].changed).toBe(1);
  expect(existsSync(join(a.root, 'lock'))).toBe(false);
  const again = await run('--check');
  expect(recap(again.stdout, [a.name])[a.name].changed).toBe(0);
  expect(again.code).toBe(0);
});

it('engine validate loads and checks everything, connects to no host and changes nothing', async () => {
  const [a] = set.hosts;
  const dir = project({ 'play.yml': `- hosts: all\n  tasks:\n    - copy: { content: "x", dest: "{{ root }}/validated" }\n` });
  const ok = await engine(['validate', join(dir, 'play.yml'), '-i', set.inventory({ [a.name]: { ansible_port: 1 } })]);
  expect(ok.code, ok.stdout + ok.stderr).toBe(0);
  for (const h of set.hosts) expect(existsSync(join(h.root, 'validated'))).toBe(false);
  const bad = project({ 'play.yml': `- hosts: all\n  tasks:\n    - copy: { content: "x", dset: /tmp/x }\n` });
  const refused = await engine(['validate', join(bad, 'play.yml'), '-i', set.inventory()]);
  expect(refused.code).toBe(5);
  expect(refused.stderr).toMatch(/play\.yml:3:\d+: .*dset/);
});

it('cluster operations refuse a bad --calls before they reach any node', async () => {
  const dir = project({
    'site.yml': `pbx:\n  hosts:\n    pbx01: { ansible_host: 127.0.0.1, ansible_port: 1 }\n  vars:\n    site_vars: ${join(ROOT, 'inventory/lab-vars.yml')}\n`,
  });
  for (const [operation, value] of [
    ['switchover', '0'],
    ['verify', 'x'],
  ]) {
    const refused = await engine([...(operation === 'verify' ? ['verify', 'failover'] : [operation]), '--calls', value, '-i', join(dir, 'site.yml')]);
    expect(refused.code, refused.stderr).toBe(5);
    expect(refused.stderr).toContain(`--calls must be a whole number of calls from 1 to 200, got '${value}'`);
    expect(refused.stderr).not.toMatch(/no cluster node reachable/);
  }
});

it('engine schema --write writes the schemas the modules describe (the committed ones are those)', async () => {
  const res = await engine(['schema', '--write']);
  expect(res.code, res.stderr).toBe(0);
  for (const [name, content] of Object.entries(schemaFiles())) {
    expect(res.stdout).toContain(`wrote ${join(ROOT, 'engine/schema', name)}`);
    expect(readFileSync(join(ROOT, 'engine/schema', name), 'utf8'), name).toBe(content);
  }
});

it("on a terminal, each finished task is one line with its hosts' counts; failures and diffs stay below it", async () => {
  const dir = project({
    'play.yml': `- hosts: all
  gather_facts: false
  tasks:
    - name: write a file
      copy: { content: "live view\\n", dest: "{{ root }}/live.txt" }
    - name: fails on one host
      command: "{{ 'false' if inventory_hostname == '${names()[0]}' else 'true' }}"
      ignore_errors: true
    - name: nothing to do
      stat: { path: "{{ root }}/live.txt" }
`,
  });
  const run = await runIn('tty', ['run', join(dir, 'play.yml'), '-i', set.inventory(), '--diff']);
  expect(run.code, run.output).toBe(0);
  const lines = run.output.split('\n').map((l) => l.trim());
  // The line each task leaves once it is done (listr2 marks it ✔), with every host counted.
  const final = (name: string) => lines.filter((l) => l.startsWith(`✔ ${name}  `)).pop();
  expect(final('write a file')).toBe('✔ write a file  changed=3');
  expect(final('fails on one host')).toBe('✔ fails on one host  changed=2 ignored=1');
  expect(final('nothing to do')).toBe('✔ nothing to do  ok=3');
  // Below the lines: the failure in Ansible's format, and the diffs.
  expect(run.output).toContain(`fatal: [${names()[0]}]: FAILED!`);
  expect(run.output).toContain(`+++ ${set.hosts[0].root}/live.txt`);
  // No per-host tree: no line is a host with its status.
  for (const host of names()) expect(lines.filter((l) => new RegExp(`^\\S*\\s*${host}: (ok|changed|failed)`).test(l))).toEqual([]);
});
