// -K asks the sudo password once, on a real terminal, for a user whose sudo needs it.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { engine, project, recap } from '../helpers/engine';
import { onTerminal } from '../helpers/output';
import { type HostSet, startHosts } from '../helpers/sshd';

const USER = 'enginepw';
const PASSWORD = 'Sudo-Pw-1234';
const SUDOERS = `/etc/sudoers.d/${USER}`;
let set: HostSet;

beforeAll(async () => {
  try {
    execFileSync('id', [USER], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', USER]);
  }
  execFileSync('chpasswd', { input: `${USER}:${PASSWORD}\n` });
  writeFileSync(SUDOERS, `${USER} ALL=(ALL) ALL\n`, { mode: 0o440 });
  set = await startHosts(2, 'pw', ['ed25519'], { passwordLogin: true });
});
afterAll(async () => {
  await set?.stop();
  rmSync(SUDOERS, { force: true });
  // The user's last ssh sessions (and their run-lock watchers) end within a second or two.
  for (const deadline = Date.now() + 15_000; ; await new Promise((r) => setTimeout(r, 250))) {
    try {
      execFileSync('userdel', ['-r', USER], { stdio: 'ignore' });
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
  }
});

it('asks once and uses the password for every host', async () => {
  const inventory = set.inventory(Object.fromEntries(set.hosts.map((h) => [h.name, { ansible_user: USER }])));
  const dir = project({
    'play.yml':
      '- hosts: all\n  gather_facts: false\n  become: true\n  tasks:\n    - command: id -un\n      register: who\n    - assert: { that: ["who.stdout == \'root\'"] }\n',
  });
  const run = await onTerminal(['run', join(dir, 'play.yml'), '-i', inventory, '-K'], {
    answer: { prompt: 'BECOME password:', typed: `${PASSWORD}\r` },
    env: { CI: '1' },
  });
  expect(run.output.match(/BECOME password:/g)).toHaveLength(1);
  expect(run.output).not.toContain(PASSWORD);
  expect(run.output, run.output).toMatch(/pw1\s+: ok=2\s+changed=1\s+unreachable=0\s+failed=0/);
  expect(run.output).toMatch(/pw2\s+: ok=2\s+changed=1\s+unreachable=0\s+failed=0/);
  expect(run.code).toBe(0);
  const wrong = await onTerminal(['run', join(dir, 'play.yml'), '-i', inventory, '-K'], {
    answer: { prompt: 'BECOME password:', typed: 'not-it\r' },
    env: { CI: '1' },
  });
  expect(wrong.code).toBe(2);
  expect(existsSync(SUDOERS)).toBe(true);
});

it("the become password goes only to sudo's prompt, never to the command", async () => {
  const [a, b] = set.hosts;
  // pw1 logs in as a user whose sudo asks for the password; pw2 as one whose sudo does not ask.
  const inventory = set.inventory({ [a.name]: { ansible_user: USER, ansible_become_password: PASSWORD }, [b.name]: { ansible_become_password: PASSWORD } });
  const dir = project({
    'play.yml':
      '- hosts: all\n  gather_facts: false\n  become: true\n  tasks:\n    - command: cat\n      become_user: nobody\n      register: fed\n    - command: id -un\n      register: who\n    - assert: { that: ["fed.stdout == \'\'", "who.stdout == \'root\'"] }\n    - command: cat\n      args: { stdin: "typed input" }\n      register: piped\n    - assert: { that: ["piped.stdout == \'typed input\'"] }\n',
  });
  const run = await engine(['run', join(dir, 'play.yml'), '-i', inventory, '-v']);
  expect(run.code, run.stdout).toBe(0);
  expect(run.stdout).not.toContain(PASSWORD);
  expect(recap(run.stdout)[a.name]).toMatchObject({ ok: 5, failed: 0 });
  expect(recap(run.stdout)[b.name]).toMatchObject({ ok: 5, failed: 0 });
  const wrong = set.inventory({ [a.name]: { ansible_user: USER, ansible_become_password: 'not-it' } });
  const refused = await engine(['run', join(dir, 'play.yml'), '-i', wrong, '--limit', a.name]);
  expect(refused.code).toBe(2);
  expect(refused.stdout).toContain('incorrect become (sudo) password');
});

it('ansible_password logs in by password where no key is accepted; a wrong one makes the host unreachable', async () => {
  const [a] = set.hosts;
  const stranger = join(set.dir, 'stranger_key');
  if (!existsSync(stranger)) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
  const dir = project({
    'play.yml': '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: id -un\n      register: who\n    - assert: { that: ["who.stdout == login"] }\n',
  });
  const login = (password: string) =>
    engine(
      [
        'run',
        join(dir, 'play.yml'),
        '-i',
        set.inventory({ [a.name]: { ansible_user: USER, ansible_password: password, ansible_ssh_private_key_file: stranger } }),
        '--limit',
        a.name,
        '-e',
        `login=${USER}`,
      ],
      { SSH_AUTH_SOCK: '' },
    );
  const ok = await login(PASSWORD);
  expect(ok.code, ok.stdout).toBe(0);
  expect(recap(ok.stdout, [a.name])[a.name].failed).toBe(0);
  const wrong = await login('not-the-password');
  expect(wrong.code, wrong.stdout).toBe(4);
  for (const run of [ok, wrong]) expect(run.stdout + run.stderr).not.toContain(PASSWORD);
});

it("become_method su: the target user's password goes to su's prompt only; a wrong one is named as such", async () => {
  const [a] = set.hosts;
  // enginetest logs in and becomes enginepw with su, which asks enginepw's own password.
  const su = (password: string) => set.inventory({ [a.name]: { ansible_become_method: 'su', ansible_become_password: password } });
  const dir = project({
    'play.yml':
      '- hosts: all\n  gather_facts: false\n  become: true\n  become_user: enginepw\n  tasks:\n    - command: id -un\n      register: who\n    - command: cat\n      args: { stdin: "typed input" }\n      register: piped\n    - assert: { that: ["who.stdout == \'enginepw\'", "piped.stdout == \'typed input\'"] }\n',
  });
  const run = await engine(['run', join(dir, 'play.yml'), '-i', su(PASSWORD), '--limit', a.name]);
  expect(run.code, run.stdout).toBe(0);
  expect(recap(run.stdout)[a.name]).toMatchObject({ ok: 3, failed: 0 });
  expect(run.stdout).not.toContain(PASSWORD);
  const refused = await engine(['run', join(dir, 'play.yml'), '-i', su('not-it'), '--limit', a.name]);
  expect(refused.code).toBe(2);
  expect(refused.stdout).toContain('incorrect become (su) password');
});

it('a become_method the engine does not have: as a keyword a load error at its line; from a variable, that task fails', async () => {
  const keyword = project({
    'play.yml': '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: id -un\n      become: true\n      become_method: doas\n',
  });
  const load = await engine(['run', join(keyword, 'play.yml'), '-i', set.inventory()]);
  expect(load.code).toBe(5);
  expect(load.stderr).toContain(`${join(keyword, 'play.yml')}:6:22: field 'tasks.become_method': must be one of: "sudo", "su"`);
  const variable = project({
    'play.yml':
      '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: id -un\n      become: true\n      vars: { ansible_become_method: doas }\n    - ping:\n',
  });
  const run = await engine(['run', join(variable, 'play.yml'), '-i', set.inventory(), '--limit', set.hosts[0].name]);
  expect(run.code).toBe(2);
  expect(run.stdout).toContain("become_method 'doas': this engine becomes with sudo or su only");
  expect(recap(run.stdout)[set.hosts[0].name]).toMatchObject({ ok: 0, failed: 1 });
});
