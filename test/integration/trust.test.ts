// Host data is data, and the task keywords we accept do what they say: throttle, delegate_facts,
// ignore_unreachable and diff.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { engine, project, recap } from '../helpers/engine';
import { type HostSet, startHosts, stopHost } from '../helpers/sshd';

let set: HostSet;
beforeAll(async () => {
  set = await startHosts(3, 'tru');
});
afterAll(async () => set?.stop());

it('facts, registered output, set_fact values and loop items from a host are never templated again', async () => {
  const [a] = set.hosts;
  const secret = join(set.dir, 'controller-secret');
  writeFileSync(secret, 'CONTROLLER-SECRET\n');
  const hostile = `{{ lookup('file', '${secret}') }}`;
  // The host's `hostname` command answers with a template (what a hostile host could do).
  mkdirSync(join(a.root, 'bin'), { recursive: true });
  writeFileSync(join(a.root, 'bin', 'hostname'), `#!/bin/sh\nprintf '%s\\n' "${hostile}"\n`);
  chmodSync(join(a.root, 'bin', 'hostname'), 0o755);
  const dir = project({
    'play.yml': `- hosts: all
  environment: { PATH: "{{ root }}/bin:/usr/bin:/bin" }
  vars:
    derived: "{{ ansible_hostname }}"
  tasks:
    - debug: { msg: "fact={{ ansible_hostname }}" }
    - debug: { msg: "nested={{ ansible_facts.hostname }}" }
    - debug: { msg: "via-var={{ derived }}" }
    - command: hostname
      register: out
      changed_when: false
    - set_fact: { copied: "{{ out.stdout }}" }
    - debug: { msg: "set_fact={{ copied }}" }
    - debug: { msg: "item={{ item }}" }
      loop: "{{ out.stdout_lines }}"
`,
  });
  const run = await engine(['run', join(dir, 'play.yml'), '-i', set.inventory(), '--limit', a.name]);
  expect(run.code, run.stdout).toBe(0);
  expect(run.stdout).not.toContain('CONTROLLER-SECRET');
  for (const label of ['fact', 'nested', 'via-var', 'set_fact', 'item']) expect(run.stdout).toContain(`${label}=${hostile}`);
});

it('throttle runs at most that many hosts at once (0: no limit)', async () => {
  const log = join(set.dir, 'throttle.log');
  const dir = project({
    'play.yml': `- hosts: all
  gather_facts: false
  tasks:
    - shell: "echo start >> ${log}; sleep 0.4; echo end >> ${log}"
      throttle: "{{ limit }}"
`,
  });
  const events = async (limit: number) => {
    writeFileSync(log, '');
    chmodSync(log, 0o666);
    const run = await engine(['run', join(dir, 'play.yml'), '-i', set.inventory(), '-e', `limit=${limit}`]);
    expect(run.code, run.stdout).toBe(0);
    return readFileSync(log, 'utf8').trim().split('\n');
  };
  // One host at a time: the log alternates start, end.
  expect(await events(1)).toEqual(['start', 'end', 'start', 'end', 'start', 'end']);
  expect(await events(0)).toEqual(['start', 'start', 'start', 'end', 'end', 'end']);
});

it('delegate_facts: facts set by a delegated task go to the delegated host', async () => {
  const [a, b] = set.hosts;
  const dir = project({
    'play.yml': `- hosts: ${a.name}
  gather_facts: false
  tasks:
    - set_fact: { marker: from-${a.name} }
      delegate_to: ${b.name}
      delegate_facts: true
    - set_fact: { own: mine }
      delegate_to: ${b.name}
- hosts: all
  gather_facts: false
  tasks:
    - debug: { msg: "marker={{ marker | default('none') }} own={{ own | default('none') }}" }
`,
  });
  const run = await engine(['run', join(dir, 'play.yml'), '-i', set.inventory(), '--limit', `${a.name}:${b.name}`]);
  expect(run.code, run.stdout).toBe(0);
  expect(run.stdout).toMatch(new RegExp(`ok: \\[${a.name}\\] => \\{"msg":"marker=none own=mine"\\}`));
  expect(run.stdout).toMatch(new RegExp(`ok: \\[${b.name}\\] => \\{"msg":"marker=from-${a.name} own=none"\\}`));
});

it("diff: false hides a task's diff under --diff; diff: true shows it without", async () => {
  const [a] = set.hosts;
  const dir = project({
    'play.yml': `- hosts: all
  gather_facts: false
  tasks:
    - copy: { content: "token=HIDDEN-VALUE\\n", dest: "{{ root }}/secret.conf" }
      diff: false
    - copy: { content: "shown=1\\n", dest: "{{ root }}/shown.conf" }
      diff: true
`,
  });
  const withDiff = await engine(['run', join(dir, 'play.yml'), '-i', set.inventory(), '--limit', a.name, '--check', '--diff']);
  expect(withDiff.code, withDiff.stdout).toBe(0);
  expect(withDiff.stdout).not.toContain('HIDDEN-VALUE');
  expect(withDiff.stdout).toContain('+shown=1');
  const without = await engine(['run', join(dir, 'play.yml'), '-i', set.inventory(), '--limit', a.name, '--check']);
  expect(without.stdout).toContain('+shown=1');
  expect(without.stdout).not.toContain('HIDDEN-VALUE');
});

it('ignore_unreachable keeps an unreachable host in the play: counted ok and ignored, tried again', async () => {
  const [a, , c] = set.hosts;
  await stopHost(c);
  const dir = project({
    'play.yml': `- hosts: all
  gather_facts: false
  tasks:
    - command: "true"
      ignore_unreachable: true
      changed_when: false
    - command: "true"
      changed_when: false
`,
  });
  const run = await engine(['run', join(dir, 'play.yml'), '-i', set.inventory(), '--limit', `${a.name}:${c.name}`]);
  expect(run.code, run.stdout).toBe(4);
  expect(recap(run.stdout)[c.name]).toMatchObject({ ok: 1, ignored: 1, unreachable: 1 });
  expect(recap(run.stdout)[a.name]).toMatchObject({ ok: 2, unreachable: 0 });
  // The second task was tried on the host again: two UNREACHABLE lines for it.
  expect(run.stdout.match(new RegExp(`fatal: \\[${c.name}\\]: UNREACHABLE!`, 'g'))).toHaveLength(2);
});

it('values that look like options never reach commands as options: owner, package, user; wait_for host is data', async () => {
  const [a] = set.hosts;
  const marker = join(set.dir, 'injected');
  writeFileSync(join(a.root, 'target'), 'x\n');
  const dir = project({
    'play.yml': `- hosts: all
  gather_facts: false
  tasks:
    - file: { path: "{{ root }}/target", owner: "--reference=/etc/shadow" }
      ignore_errors: true
      register: owner
    - apt: { name: "-oDpkg::Pre-Invoke::=touch ${marker}" }
      ignore_errors: true
      register: pkg
    - user: { name: "--badname" }
      become: true
      ignore_errors: true
      register: usr
    - wait_for: { host: "127.0.0.1/9;touch\${IFS}${marker};", port: 9, timeout: 1 }
      ignore_errors: true
      register: waited
    - assert:
        that:
          - "owner is failed and 'invalid owner' in owner.msg"
          - "pkg is failed and 'invalid package name' in pkg.msg"
          - "usr is failed and 'invalid user name' in usr.msg"
          - waited is failed
`,
  });
  const run = await engine(['run', join(dir, 'play.yml'), '-i', set.inventory(), '--limit', a.name]);
  expect(run.code, run.stdout).toBe(0);
  expect(existsSync(marker)).toBe(false);
});

it('order: the play runs its hosts in the order asked, serial batches too', async () => {
  const inv = set.inventory();
  const seen = async (order: string) => {
    const dir = project({
      'play.yml': `- hosts: all\n  gather_facts: false\n  order: ${order}\n  serial: 1\n  tasks:\n    - debug: { msg: "{{ inventory_hostname }}" }\n`,
    });
    const run = await engine(['run', join(dir, 'play.yml'), '-i', inv]);
    expect(run.code, run.stdout).toBe(0);
    return [...run.stdout.matchAll(/^ok: \[(\w+)\]/gm)].map((m) => m[1]);
  };
  expect(await seen('inventory')).toEqual(['tru1', 'tru2', 'tru3']);
  expect(await seen('reverse_inventory')).toEqual(['tru3', 'tru2', 'tru1']);
  expect(await seen('reverse_sorted')).toEqual(['tru3', 'tru2', 'tru1']);
});

it('a vault password file written with CRLF decrypts, as ansible-vault accepts it; a failing password script is a clean error', async () => {
  const { encryptVault } = await import('../../engine/core/load/vault');
  const dir = project({
    'secret.yml': encryptVault('vaulted_word: opened-by-crlf\n', 'pw-crlf'),
    'pass.txt': 'pw-crlf\r\n',
    'fail.sh': '#!/bin/sh\necho "no agent" >&2\nexit 3\n',
    'play.yml':
      '- hosts: localhost\n  gather_facts: false\n  vars_files: [secret.yml]\n  tasks:\n    - assert: { that: "vaulted_word == \'opened-by-crlf\'" }\n    - debug: { msg: "{{ vaulted_word }}" }\n',
  });
  chmodSync(join(dir, 'fail.sh'), 0o755);
  const run = await engine(['run', join(dir, 'play.yml'), '--vault-password-file', join(dir, 'pass.txt')]);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  // Decrypted, and as vault plaintext it is masked wherever it would be shown.
  expect(run.stdout).toContain('"msg":"********"');
  expect(run.stdout).not.toContain('opened-by-crlf');
  const failed = await engine(['run', join(dir, 'play.yml'), '--vault-password-file', join(dir, 'fail.sh')]);
  expect(failed.code).toBe(5);
  expect(failed.stderr).toMatch(/--vault-password-file: .*fail\.sh failed \(exit 3\): no agent/);
  expect(failed.stderr).not.toMatch(/internal error|at \S+\.ts/);
});
