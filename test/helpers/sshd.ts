// Real sshd test hosts on loopback addresses, started and stopped by the test suite itself.
// Each host is an sshd process on its own 127.x.y.z address with its own host key; its "root"
// for tests is a private directory (hosts share this machine's filesystem). Processes are
// killed by the PID we started, and leftovers of an interrupted run are cleaned the same way.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { isAlive } from '../../engine/core/process';

const HARNESS_DIR = '/tmp/engine-test-hosts';
/**
 * Tests log in as this unprivileged user (shell /bin/sh, clean home) and use become (sudo) for
 * root work, as on real servers. Root's login on this machine sources a .bashrc that runs
 * `pyenv init` (~100 ms per command), which would distort every timing.
 */
export const TEST_USER = 'enginetest';

/**
 * Creates the test user and its sudo rule once (idempotent; .ci/run runs as root). Test files start
 * in parallel: one at a time does this, under a lock, so no two `useradd` race.
 */
function ensureTestUser(): void {
  const rule = `/etc/sudoers.d/${TEST_USER}`;
  const script = [
    `id ${TEST_USER} >/dev/null 2>&1 || useradd --system --create-home --home-dir /var/lib/${TEST_USER} --shell /bin/sh ${TEST_USER}`,
    // '!' (locked) makes sshd refuse key logins when UsePAM is off; '*' means no password, unlocked.
    `usermod -p '*' ${TEST_USER}`,
    `[ -e ${rule} ] || { printf '%s ALL=(ALL) NOPASSWD: ALL\\n' ${TEST_USER} > ${rule}.new && chmod 0440 ${rule}.new && mv ${rule}.new ${rule}; }`,
  ].join('\n');
  execFileSync('flock', ['/run/lock/pbx-engine-test-user.lock', 'sh', '-ec', script]);
}

export interface TestHost {
  name: string;
  address: string;
  port: number;
  /** Private directory standing for this host's filesystem in tests. */
  root: string;
  pid: number;
}

export interface HostSet {
  dir: string;
  hosts: TestHost[];
  keyFile: string;
  knownHosts: string;
  /** Writes an Ansible YAML inventory for these hosts (works with ansible-playbook too). */
  inventory(extraHostVars?: Record<string, Record<string, unknown>>, groups?: Record<string, string[]>): string;
  stop(): Promise<void>;
}

/** Kills sshd processes an interrupted earlier run left behind: only PIDs from our pidfiles. */
function cleanStale(): void {
  if (!existsSync(HARNESS_DIR)) return;
  for (const run of readdirSync(HARNESS_DIR)) {
    const dir = join(HARNESS_DIR, run);
    const owner = Number(run.split('-')[0]);
    if (owner && isAlive(owner)) continue;
    for (const entry of existsSync(dir) ? readdirSync(dir) : []) {
      const pidFile = join(dir, entry, 'sshd.pid');
      if (!existsSync(pidFile)) continue;
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      const cmdline = isAlive(pid) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
      if (cmdline.includes(join(dir, entry))) process.kill(pid, 'SIGTERM');
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function waitForPort(address: string, port: number, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = createConnection({ host: address, port });
      socket.once('data', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`sshd on ${address}:${port} did not start`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

const SSHD_CONFIG = (dir: string, address: string, port: number, keys: string, keyTypes: string[], passwordLogin: boolean, logCommands: boolean) => `
ListenAddress ${address}:${port}
${keyTypes.map((t) => `HostKey ${dir}/ssh_host_${t}_key`).join('\n')}
PidFile ${dir}/sshd.pid
AuthorizedKeysFile ${keys}
PermitRootLogin no
PasswordAuthentication ${passwordLogin ? 'yes' : 'no'}
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxSessions 200
MaxStartups 200:30:400
LogLevel ERROR
Subsystem sftp internal-sftp
${logCommands ? `ForceCommand ${dir}/log-command` : ''}
`;

/** Runs each command a client sends, after appending it (NUL-terminated) to commands.log. */
const LOG_COMMAND = (dir: string) => `#!/bin/sh
printf '%s\\0' "$SSH_ORIGINAL_COMMAND" >> ${dir}/commands.log
exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"
`;

/**
 * Starts n sshd hosts named prefix1..n. Each has a host key of every type in `keyTypes`;
 * known_hosts records the first type only.
 */
export async function startHosts(
  n: number,
  prefix = 'node',
  keyTypes: string[] = ['ed25519'],
  options: { passwordLogin?: boolean; logCommands?: boolean } = {},
): Promise<HostSet> {
  cleanStale();
  ensureTestUser();
  mkdirSync('/run/sshd', { recursive: true });
  const dir = join(HARNESS_DIR, `${process.pid}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const keyFile = join(dir, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
  const authorized = join(dir, 'authorized_keys');
  writeFileSync(authorized, readFileSync(`${keyFile}.pub`));
  // A random 127.a.b.c base keeps parallel test files and leftovers from colliding.
  const base = [10 + Math.floor(Math.random() * 200), Math.floor(Math.random() * 250)];
  const hosts: TestHost[] = [];
  const known: string[] = [];
  for (let i = 1; i <= n; i++) {
    const hostDir = join(dir, `${prefix}${i}`);
    const root = join(hostDir, 'root');
    mkdirSync(root, { recursive: true });
    execFileSync('chown', [`${TEST_USER}:`, root]);
    // The host's run lock (beside its root, so snapshots of the root do not see it).
    for (const f of ['engine.lock', 'engine.lock.info']) {
      writeFileSync(join(hostDir, f), '');
      chmodSync(join(hostDir, f), 0o666);
    }
    for (const type of keyTypes) execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', join(hostDir, `ssh_host_${type}_key`)]);
    // 250 hosts per /24, so the benchmark's 300 hosts fit too.
    const address = `127.${base[0]}.${base[1] + Math.floor((i - 1) / 250)}.${((i - 1) % 250) + 1}`;
    const port = 2222;
    writeFileSync(
      join(hostDir, 'sshd_config'),
      SSHD_CONFIG(hostDir, address, port, authorized, keyTypes, options.passwordLogin ?? false, options.logCommands ?? false),
    );
    if (options.logCommands) {
      writeFileSync(join(hostDir, 'log-command'), LOG_COMMAND(hostDir), { mode: 0o755 });
      writeFileSync(join(hostDir, 'commands.log'), '');
      chmodSync(join(hostDir, 'commands.log'), 0o666);
    }
    const child = spawn('/usr/sbin/sshd', ['-D', '-f', join(hostDir, 'sshd_config')], { stdio: 'ignore', detached: false });
    hosts.push({ name: `${prefix}${i}`, address, port, root, pid: child.pid! });
    known.push(
      `[${address}]:${port} ${readFileSync(join(hostDir, `ssh_host_${keyTypes[0]}_key.pub`), 'utf8')
        .split(' ')
        .slice(0, 2)
        .join(' ')}`,
    );
  }
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `${known.join('\n')}\n`);
  await Promise.all(hosts.map((h) => waitForPort(h.address, h.port)));
  return {
    dir,
    hosts,
    keyFile,
    knownHosts,
    inventory(extra = {}, groups = {}) {
      const hostLines = hosts.map((h) => {
        // Test hosts share this machine's /run/lock: each gets a run lock file of its own.
        const vars = {
          ansible_host: h.address,
          ansible_port: h.port,
          ansible_user: TEST_USER,
          root: h.root,
          engine_lock_file: join(h.root, '..', 'engine.lock'),
          ...(extra[h.name] ?? {}),
        };
        return `    ${h.name}:\n${Object.entries(vars)
          .map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`)
          .join('\n')}`;
      });
      const groupLines = Object.entries(groups).map(([g, members]) => `    ${g}:\n      hosts:\n${members.map((m) => `        ${m}:`).join('\n')}`);
      const text = [
        'all:',
        '  vars:',
        `    ansible_ssh_private_key_file: ${JSON.stringify(keyFile)}`,
        `    ansible_ssh_common_args: ${JSON.stringify(`-o UserKnownHostsFile=${knownHosts} -o IdentitiesOnly=yes`)}`,
        '    ansible_python_interpreter: /usr/bin/python3',
        '  hosts:',
        ...hostLines,
        ...(groupLines.length ? ['  children:', ...groupLines] : []),
      ].join('\n');
      const file = join(dir, `inventory-${Date.now()}-${Math.random().toString(36).slice(2)}.yml`);
      writeFileSync(file, `${text}\n`);
      return file;
    },
    async stop() {
      for (const h of hosts) if (isAlive(h.pid)) process.kill(h.pid, 'SIGTERM');
      const deadline = Date.now() + 5000;
      while (hosts.some((h) => isAlive(h.pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Kills one host's sshd (by the PID we started) to make it unreachable. */
export async function stopHost(host: TestHost): Promise<void> {
  if (isAlive(host.pid)) process.kill(host.pid, 'SIGTERM');
  while (isAlive(host.pid)) await new Promise((r) => setTimeout(r, 20));
}

/** Sends a signal to processes listed a moment ago; one that has ended since is no error. */
export function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }
}

/** The sshd processes serving connections to a host: descendants of the sshd we started. */
export function sessionProcesses(host: TestHost): number[] {
  const children = (pid: number): number[] => {
    const file = `/proc/${pid}/task/${pid}/children`;
    const direct = existsSync(file) ? readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number) : [];
    return direct.flatMap((c) => [c, ...children(c)]);
  };
  return children(host.pid);
}
