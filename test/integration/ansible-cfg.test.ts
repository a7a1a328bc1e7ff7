// ansible.cfg and ANSIBLE_* variables (load/ansible-cfg.ts): found where Ansible finds them, paths
// relative to the file, the environment over the file, flags over both; a setting the engine
// cannot honour is a clear error. Local connection: nothing but the controller.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { engine, project } from '../helpers/engine';

function site(): string {
  const dir = project({
    'conf/ansible.cfg': `# comments and a continued list, as configparser reads them
[defaults]
inventory = ../inv/hosts.yml
roles_path = ../shared-roles:
    ../other-roles
vault_password_file = pw.txt ; the vault password
forks: 3

[privilege_escalation]
become_method = sudo
`,
    'conf/pw.txt': 'correct horse\n',
    'inv/hosts.yml': 'all:\n  hosts:\n    cfghost: { ansible_connection: local }\n',
    'shared-roles/writer/tasks/main.yml': '- copy: { content: "{{ word }} from {{ inventory_hostname }}\\n", dest: "{{ out }}/written" }\n',
    'env-roles/writer/tasks/main.yml': '- copy: { content: "env role\\n", dest: "{{ out }}/written" }\n',
    'play/site.yml': '- hosts: all\n  gather_facts: false\n  vars_files: [secret.yml]\n  roles: [writer]\n',
  });
  // A vaulted vars file, encrypted by ansible-vault itself.
  writeFileSync(join(dir, 'play/secret.yml'), 'word: sesame\n');
  execFileSync('ansible-vault', ['encrypt', '--vault-password-file', join(dir, 'conf/pw.txt'), join(dir, 'play/secret.yml')]);
  mkdirSync(join(dir, 'out'));
  return dir;
}

it('ansible.cfg gives the inventory, the role path and the vault password file, relative to itself', async () => {
  const dir = site();
  const run = await engine(['run', join(dir, 'play/site.yml'), '-e', `out=${join(dir, 'out')}`], { ANSIBLE_CONFIG: join(dir, 'conf/ansible.cfg') });
  expect(run.code, run.stdout + run.stderr).toBe(0);
  expect(readFileSync(join(dir, 'out/written'), 'utf8')).toBe('sesame from cfghost\n');
});

it('ANSIBLE_* variables win over the file, and flags over both', async () => {
  const dir = site();
  const inv = join(dir, 'inv/other.yml');
  writeFileSync(inv, 'all:\n  hosts:\n    flaghost: { ansible_connection: local }\n');
  const env = { ANSIBLE_CONFIG: join(dir, 'conf'), ANSIBLE_ROLES_PATH: join(dir, 'env-roles'), ANSIBLE_INVENTORY: join(dir, 'nowhere.yml') };
  const run = await engine(['run', join(dir, 'play/site.yml'), '-i', inv, '-e', `out=${join(dir, 'out')}`], env);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  expect(readFileSync(join(dir, 'out/written'), 'utf8')).toBe('env role\n');
  expect(run.stdout).toContain('flaghost');
});

it('a setting the engine cannot honour is a clear error before anything runs', async () => {
  const dir = site();
  const args = ['run', join(dir, 'play/site.yml'), '-e', `out=${join(dir, 'out')}`];
  const doas = await engine(args, { ANSIBLE_CONFIG: join(dir, 'conf/ansible.cfg'), ANSIBLE_BECOME_METHOD: 'doas' });
  expect(doas.code).toBe(5);
  expect(doas.stderr).toContain("become_method 'doas'");
  expect(doas.stderr).toContain('this engine becomes with sudo or su only');
  const forks = await engine(args, { ANSIBLE_CONFIG: join(dir, 'conf/ansible.cfg'), ANSIBLE_FORKS: 'many' });
  expect(forks.code).toBe(5);
  expect(forks.stderr).toContain("forks must be a positive integer, got 'many'");
  const missing = await engine(args, { ANSIBLE_CONFIG: join(dir, 'conf/nope.cfg') });
  expect(missing.code).toBe(5);
  expect(missing.stderr).toMatch(/ANSIBLE_CONFIG names .*nope\.cfg, which does not exist/);
});
