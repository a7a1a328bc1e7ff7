// A dry run is its own kind of report: waits for what it would have made are predicted, waivable
// findings are warnings, and the recap says what the real run would change, per host and role.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { changedTasks, changedTasksOfJson, engine, jsonEvents, project, recap } from '../helpers/engine';
import { type HostSet, startHosts } from '../helpers/sshd';

let set: HostSet;
beforeAll(async () => {
  set = await startHosts(2, 'dry');
});
afterAll(async () => set?.stop());

const WAITS = `- hosts: all
  gather_facts: false
  tasks:
    - name: make the file
      copy: { content: "ready\\n", dest: "{{ root }}/ready" }
      when: make | bool
    - name: wait for the file
      wait_for: { path: "{{ root }}/ready", timeout: "{{ wait }}" }
    - name: poll for the file
      command: "test -e {{ root }}/ready"
      register: ready
      until: ready.rc == 0
      retries: "{{ wait }}"
      delay: 1
      changed_when: false
      check_mode: false
`;

it('a dry run predicts the waits for what an earlier change would have made, and still waits when nothing changed before', async () => {
  const dir = project({ 'play.yml': WAITS });
  const [a] = set.hosts;
  const run = (...args: string[]) => engine(['run', join(dir, 'play.yml'), '-i', set.inventory(), '--limit', a.name, ...args]);

  const dry = await run('--check', '-e', 'make=yes', '-e', 'wait=30', '--json');
  expect(dry.code, dry.stdout).toBe(0);
  const results = jsonEvents(dry.stdout).filter((e) => e.kind === 'host_result');
  expect(results.find((e) => e.task === 'wait for the file')).toMatchObject({
    status: 'ok',
    msg: expect.stringMatching(/^predicted, not polled: the real run waits up to 30s for path .*ready to be started$/),
  });
  expect(results.find((e) => e.task === 'poll for the file')).toMatchObject({
    status: 'ok',
    msg: expect.stringMatching(/^predicted, not polled: the real run waits until ready\.rc == 0 \(up to 31 attempts\)/),
  });
  expect(existsSync(join(a.root, 'ready'))).toBe(false);

  // Nothing would have changed before them: the waits are real ones, and fail.
  const idle = await run('--check', '-e', 'make=no', '-e', 'wait=1');
  expect(idle.code, idle.stdout).toBe(2);
  expect(idle.stdout).toContain('Timeout when waiting for file');

  const real = await run('-e', 'make=yes', '-e', 'wait=30');
  expect(real.code, real.stdout).toBe(0);
  expect(changedTasks(real.stdout)).toEqual(changedTasksOfJson(dry.stdout));
  expect(changedTasks(real.stdout)).toEqual([`${a.name} | make the file`]);
});

it('a finding the site may waive is a warning in plain and JSON output and in the recap, not an ignored failure', async () => {
  const dir = project({
    'play.yml': `- hosts: all
  gather_facts: false
  tasks:
    - name: enough memory
      assert: { that: ["1 == 2"], fail_msg: "{{ inventory_hostname }} has too little memory", warn_only: true }
    - name: enforced
      assert: { that: ["1 == 1"], warn_only: true }
`,
  });
  const run = (...args: string[]) => engine(['run', join(dir, 'play.yml'), '-i', set.inventory(), ...args]);
  const plain = await run();
  expect(plain.code, plain.stdout).toBe(0);
  for (const h of set.hosts) {
    expect(plain.stdout).toContain(`warning: [${h.name}] => {"msg":"${h.name} has too little memory"}`);
    expect(recap(plain.stdout)[h.name]).toMatchObject({ ok: 2, warnings: 1, ignored: 0, failed: 0 });
  }
  expect(plain.stdout).not.toContain('...ignoring');
  const json = await run('--json');
  const events = jsonEvents(json.stdout);
  expect(events.filter((e) => e.kind === 'host_result' && e.task === 'enough memory').map((e) => e.status)).toEqual(['warning', 'warning']);
  expect(events.filter((e) => e.kind === 'host_result' && e.task === 'enforced').map((e) => e.status)).toEqual(['ok', 'ok']);
  expect(events.find((e) => e.kind === 'recap')!.stats[set.hosts[0].name]).toMatchObject({ warnings: 1, ignored: 0 });
});

it("a dry run's recap says what would change per host and per role; --json carries the changes and the diffs", async () => {
  const dir = project({
    'play.yml': `- hosts: all
  gather_facts: false
  roles: [web]
  tasks:
    - name: marker
      copy: { content: "m\\n", dest: "{{ root }}/marker" }
      when: inventory_hostname == first
`,
    'roles/web/tasks/main.yml': `- name: site config
  copy: { content: "listen 80\\n", dest: "{{ root }}/site.conf" }
- name: site docs
  file: { path: "{{ root }}/docs", state: directory }
`,
  });
  const [a, b] = set.hosts;
  const run = (...args: string[]) => engine(['run', join(dir, 'play.yml'), '-i', set.inventory(), '-e', `first=${a.name}`, ...args]);
  const plain = await run('--check');
  expect(plain.code, plain.stdout).toBe(0);
  expect(plain.stdout).toMatch(
    new RegExp(`^WOULD CHANGE \\(check mode: nothing was changed\\) \\*+\\n${a.name}\\s+3 tasks: web 2, \\(play\\) 1\\n${b.name}\\s+2 tasks: web 2$`, 'm'),
  );
  expect(Object.keys(recap(plain.stdout))).toEqual([a.name, b.name]);

  const json = await run('--check', '--diff', '--json');
  const events = jsonEvents(json.stdout);
  const end = events.find((e) => e.kind === 'recap')!;
  expect(end.check).toBe(true);
  expect(end.changes[b.name]).toEqual([
    { role: 'web', task: 'site config' },
    { role: 'web', task: 'site docs' },
  ]);
  const config = events.find((e) => e.kind === 'host_result' && e.task === 'site config' && e.host === a.name)!;
  expect(config.diff[0]).toMatchObject({ before: '', after: 'listen 80\n' });
  expect(existsSync(join(a.root, 'site.conf'))).toBe(false);

  // The real run's recap has no such section; it changes what the dry run said.
  const real = await run();
  expect(real.code, real.stdout).toBe(0);
  expect(real.stdout).not.toContain('WOULD CHANGE');
  expect(changedTasks(real.stdout)).toEqual(changedTasksOfJson(json.stdout));
});
