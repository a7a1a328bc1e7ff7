// How the engine reaches hosts: host key policy, ssh-agent, ProxyJump from an ssh config file.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { engine, project, recap } from '../helpers/engine';
import { type HostSet, startHosts, TEST_USER } from '../helpers/sshd';

let set: HostSet;
beforeAll(async () => {
  set = await startHosts(2, 'conn');
});
afterAll(async () => set?.stop());

const PLAY = project({ 'play.yml': '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: hostname\n      changed_when: false\n' });
const play = join(PLAY, 'play.yml');

function inventory(hostVars: string, allVars: string): string {
  const file = join(set.dir, `inv-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, `all:\n  vars:\n${allVars}\n    engine_lock_file: ${join(set.dir, set.hosts[0].name, 'engine.lock')}\n  hosts:\n${hostVars}\n`);
  return file;
}

it('refuses an unknown host key with its fingerprint, and records it only when asked', async () => {
  const h = set.hosts[0];
  const known = join(set.dir, 'empty_known_hosts');
  writeFileSync(known, '');
  const inv = inventory(
    `    ${h.name}: { ansible_host: "${h.address}", ansible_port: ${h.port} }`,
    `    ansible_user: ${TEST_USER}\n    ansible_ssh_private_key_file: "${set.keyFile}"\n    ansible_ssh_common_args: "-o UserKnownHostsFile=${known}"`,
  );
  const refused = await engine(['run', play, '-i', inv]);
  expect(refused.code).toBe(4);
  expect(refused.stdout).toMatch(/unknown host key for \[127\.[\d.]+\]:2222 \(ssh-ed25519 SHA256:[A-Za-z0-9+/]+\).*--accept-new-host-keys/);
  expect(readFileSync(known, 'utf8')).toBe('');
  const accepted = await engine(['run', play, '-i', inv, '--accept-new-host-keys']);
  expect(accepted.code).toBe(0);
  expect(readFileSync(known, 'utf8')).toContain(`[${h.address}]:2222 ssh-ed25519 `);
  // A different key for the same name is then refused, whatever the flag says.
  const other = readFileSync(join(set.dir, set.hosts[1].name, 'ssh_host_ed25519_key.pub'), 'utf8')
    .split(' ')
    .slice(0, 2)
    .join(' ');
  writeFileSync(known, `[${h.address}]:2222 ${other}\n`);
  const changed = await engine(['run', play, '-i', inv, '--accept-new-host-keys']);
  expect(changed.code).toBe(4);
  expect(changed.stdout).toContain('HOST KEY CHANGED');
});

it('ansible_ssh_extra_args are read: StrictHostKeyChecking=accept-new there records an unknown key', async () => {
  const h = set.hosts[1];
  const known = join(set.dir, 'extra_known_hosts');
  writeFileSync(known, '');
  const inv = inventory(
    `    ${h.name}: { ansible_host: "${h.address}", ansible_port: ${h.port} }`,
    `    ansible_user: ${TEST_USER}\n    ansible_ssh_private_key_file: "${set.keyFile}"\n    ansible_ssh_extra_args: "-o UserKnownHostsFile=${known} -o StrictHostKeyChecking=accept-new"`,
  );
  const run = await engine(['run', play, '-i', inv]);
  expect(run.code, run.stdout).toBe(0);
  expect(readFileSync(known, 'utf8')).toContain(`[${h.address}]:2222 ssh-ed25519 `);
});

it('become_user runs the command as that user', async () => {
  const dir = project({
    'play.yml':
      '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: id -un\n      become: true\n      become_user: nobody\n      register: who\n    - assert: { that: ["who.stdout == \'nobody\'"] }\n',
  });
  const run = await engine(['run', join(dir, 'play.yml'), '-i', set.inventory()]);
  expect(run.code, run.stdout).toBe(0);
  expect(
    recap(
      run.stdout,
      set.hosts.map((h) => h.name),
    )[set.hosts[0].name].failed,
  ).toBe(0);
});

it('authenticates through ssh-agent when no key file is given', async () => {
  const h = set.hosts[0];
  const socket = join(set.dir, 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 100 && !require('node:fs').existsSync(socket); i++) await new Promise((r) => setTimeout(r, 20));
    execFileSync('ssh-add', [set.keyFile], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
    const inv = inventory(
      `    ${h.name}: { ansible_host: "${h.address}", ansible_port: ${h.port} }`,
      `    ansible_user: ${TEST_USER}\n    ansible_ssh_common_args: "-o UserKnownHostsFile=${set.knownHosts}"`,
    );
    const withAgent = await engine(['run', play, '-i', inv], { SSH_AUTH_SOCK: socket });
    expect(withAgent.code).toBe(0);
    const without = await engine(['run', play, '-i', inv], { SSH_AUTH_SOCK: '' });
    expect(without.code).toBe(4);
  } finally {
    agent.kill();
  }
});

it('reaches a host through ProxyJump and Host entries of an ssh config file', async () => {
  const [jump, target] = set.hosts;
  const config = join(set.dir, 'ssh_config');
  writeFileSync(
    config,
    `Host behind\n  HostName ${target.address}\n  Port ${target.port}\n  User ${TEST_USER}\n  ProxyJump ${TEST_USER}@${jump.address}:${jump.port}\n` +
      `Host ${jump.address} behind\n  IdentityFile ${set.keyFile}\n  UserKnownHostsFile ${set.knownHosts}\n`,
  );
  const inv = inventory('    behind:', `    ansible_ssh_common_args: "-F ${config}"`);
  const dir = project({
    'play.yml': '- hosts: all\n  gather_facts: false\n  tasks:\n    - shell: echo "$SSH_CONNECTION"\n      register: via\n    - debug: { var: via.stdout }\n',
  });
  const run = await engine(['run', join(dir, 'play.yml'), '-i', inv]);
  expect(run.code, run.stdout).toBe(0);
  expect(recap(run.stdout).behind.failed).toBe(0);
  // sshd on the target saw the connection coming from the jump host's tunnel (loopback), on its own address.
  expect(run.stdout).toMatch(new RegExp(`"via.stdout":"127\\.0\\.0\\.1 \\d+ ${target.address.replace(/\./g, '\\.')} 2222"`));
});

it('asks a host for the key type known_hosts holds, as OpenSSH does: one known by ECDSA only connects', async () => {
  const ecdsa = await startHosts(1, 'ecd', ['ecdsa', 'ed25519']);
  try {
    const before = readFileSync(ecdsa.knownHosts, 'utf8');
    expect(before).toContain('ecdsa-sha2-nistp256');
    const run = await engine(['run', play, '-i', ecdsa.inventory(), '--accept-new-host-keys']);
    expect(run.code, run.stdout).toBe(0);
    // Nothing appended: the ECDSA key was asked for and matched.
    expect(readFileSync(ecdsa.knownHosts, 'utf8')).toBe(before);
  } finally {
    await ecdsa.stop();
  }
});
