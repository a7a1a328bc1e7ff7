// One lab node: a systemd-nspawn container booting real systemd on an overlay of the host's /,
// with its own upper layer (own /etc, /var, clean /root), network namespace and cgroups.
import { execFile, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { CONTROLLER_IP, type LabNode, paths, SHARED_DISK } from './config';
import { cgroupDirs, makeCgroups, removeCgroups, thaw } from './host';
import { NODE_IMAGE_DIR } from './image';
import { isAlive } from '../../core/process';

type Run = (argv: string[], opts?: { nothrow?: boolean }) => Promise<{ ok: boolean; stdout: string }>;

/** Units a lab node must not run: noise, timers, and services the roles own. */
const MASKED = [
  'postgresql.service',
  'exim4.service',
  'e2scrub_reap.service',
  'systemd-timesyncd.service',
  'getty@tty1.service',
  'apt-daily-upgrade.timer',
  'apt-daily.timer',
  'dpkg-db-backup.timer',
  'e2scrub_all.timer',
  'exim4-base.timer',
  'fstrim.timer',
  'man-db.timer',
  'podman.service',
  'podman.socket',
];
const OWNED_BY_ROLES = ['corosync.service', 'pacemaker.service', 'pcsd.service', 'kamailio.service', 'docker.service', 'containerd.service'];

const dir = (node: LabNode) => paths.node(node.name);
const rootOf = (node: LabNode) => join(dir(node), 'root');
/** Where the node's nspawn process keeps its PID (its BMC reads it for the power state). */
export const nspawnPidFile = (node: LabNode) => join(dir(node), 'nspawn.pid');

export function nspawnPid(node: LabNode): number | undefined {
  if (!existsSync(nspawnPidFile(node))) return undefined;
  const pid = Number(readFileSync(nspawnPidFile(node), 'utf8'));
  return isAlive(pid) ? pid : undefined;
}

/** The node's PID 1 (systemd), a child of the nspawn process we started. */
export function leaderPid(node: LabNode): number | undefined {
  const pid = nspawnPid(node);
  if (!pid) return undefined;
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return children.length ? Number(children[0]) : undefined;
}

export async function mountRoot(run: Run, node: LabNode): Promise<void> {
  const d = dir(node);
  for (const sub of ['upper', 'work', 'root']) mkdirSync(join(d, sub), { recursive: true });
  if ((await run(['mountpoint', '-q', rootOf(node)], { nothrow: true })).ok) return;
  if (!existsSync(join(d, 'seeded'))) {
    // An opaque /root in the upper layer hides the host's /root (its .bashrc, keys, tokens).
    mkdirSync(join(d, 'upper/root'), { recursive: true, mode: 0o700 });
    await run(['python3', '-c', "import os,sys; os.setxattr(sys.argv[1], 'trusted.overlay.opaque', b'y')", join(d, 'upper/root')]);
  }
  await run(['mount', '-t', 'overlay', `pbxlab-${node.name}-root`, '-o', `lowerdir=/,upperdir=${join(d, 'upper')},workdir=${join(d, 'work')}`, rootOf(node)]);
}

/** First-boot identity: hostname, machine-id, hosts, fresh ssh host keys, the lab's login key. */
export async function seed(run: Run, node: LabNode, all: LabNode[], publicKey: string): Promise<void> {
  const d = dir(node);
  const r = rootOf(node);
  if (existsSync(join(d, 'seeded'))) return;
  writeFileSync(join(r, 'etc/hostname'), `${node.name}\n`);
  writeFileSync(join(r, 'etc/machine-id'), `${readFileSync('/proc/sys/kernel/random/uuid', 'utf8').trim().replace(/-/g, '')}\n`);
  writeFileSync(join(r, 'etc/hosts'), `${['127.0.0.1 localhost', ...all.map((n) => `${n.ip} ${n.name}`), `${CONTROLLER_IP} controller`].join('\n')}\n`);
  writeFileSync(join(r, 'etc/resolv.conf'), '');
  for (const f of readdirSync(join(r, 'etc/ssh')).filter((f) => f.startsWith('ssh_host_'))) rmSync(join(r, 'etc/ssh', f));
  await run(['ssh-keygen', '-A', '-f', r]);
  mkdirSync(join(r, 'root/.ssh'), { recursive: true, mode: 0o700 });
  writeFileSync(join(r, 'root/.ssh/authorized_keys'), publicKey, { mode: 0o600 });
  for (const f of ['.bashrc', '.profile']) if (existsSync(`/etc/skel/${f}`)) writeFileSync(join(r, 'root', f), readFileSync(`/etc/skel/${f}`));
  for (const unit of MASKED) {
    rmSync(join(r, 'etc/systemd/system', unit), { force: true });
    symlinkSync('/dev/null', join(r, 'etc/systemd/system', unit));
  }
  for (const unit of OWNED_BY_ROLES) rmSync(join(r, 'etc/systemd/system/multi-user.target.wants', unit), { force: true });
  rmSync(join(r, 'etc/systemd/system/sockets.target.wants/docker.socket'), { force: true });
  seedSharedDiskUnit(r);
  writeFileSync(join(d, 'seeded'), `${new Date().toISOString()}\n`);
}

/**
 * The shared volume appears as a plain device node made at boot, not as a bind mount: the
 * Filesystem agent's stop takes a bind-mounted device for a bind mount and unmounts it.
 */
function seedSharedDiskUnit(root: string): void {
  writeFileSync(
    join(root, 'etc/systemd/system/lab-shared-disk.service'),
    `[Unit]
Description=lab: device node ${SHARED_DISK} for the shared volume
DefaultDependencies=no
Before=sysinit.target corosync.service pacemaker.service
ConditionPathExists=/etc/lab-shared.devnum
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'rm -f ${SHARED_DISK}; mknod -m 600 ${SHARED_DISK} b $$(cat /etc/lab-shared.devnum)'
[Install]
WantedBy=sysinit.target
`,
  );
  mkdirSync(join(root, 'etc/systemd/system/sysinit.target.wants'), { recursive: true });
  symlinkSync('../lab-shared-disk.service', join(root, 'etc/systemd/system/sysinit.target.wants/lab-shared-disk.service'));
}

/** The node's ssh host key line for known_hosts: we made the key, so nothing is trusted on first use. */
export function knownHostsLine(node: LabNode): string {
  const pub = readFileSync(join(dir(node), 'upper/etc/ssh/ssh_host_ed25519_key.pub'), 'utf8')
    .split(' ')
    .slice(0, 2)
    .join(' ');
  return `${node.ip} ${pub}`;
}

/** Boots the node; the loop device number may differ from the last boot, so it is written each time. */
export function boot(node: LabNode, sharedDevnum: string): number {
  makeCgroups(node);
  mkdirSync(join(dir(node), 'docker'), { recursive: true });
  writeFileSync(join(rootOf(node), 'etc/lab-shared.devnum'), `${sharedDevnum}\n`);
  const log = openSync(join(dir(node), 'nspawn.log'), 'a');
  const procs = cgroupDirs(node)
    .map((d) => `echo $$ > ${d}/cgroup.procs`)
    .join('; ');
  const nspawn = [
    'systemd-nspawn',
    '-q',
    '-D',
    rootOf(node),
    '-b',
    '--register=no',
    '--keep-unit',
    `--network-namespace-path=/run/netns/${node.netns}`,
    `--hostname=${node.name}`,
    `-M`,
    node.netns,
    '--capability=CAP_NET_ADMIN,CAP_IPC_LOCK',
    '--resolv-conf=off',
    '--timezone=off',
    '--console=passive',
    // dockerd in a node: its data on a plain directory (overlay2 on the node's overlayfs root
    // fails), and the keyring and BPF system calls nspawn refuses by default.
    `--bind=${join(dir(node), 'docker')}:/var/lib/docker`,
    `--bind-ro=${paths.images()}:${NODE_IMAGE_DIR}`,
    `--system-call-filter='@keyring bpf'`,
  ].join(' ');
  // The shell moves itself into the node's cgroups, then becomes nspawn (same PID).
  const child = spawn('/bin/sh', ['-c', `${procs}; export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1; exec ${nspawn}`], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  child.unref();
  writeFileSync(nspawnPidFile(node), String(child.pid));
  appendFileSync(join(dir(node), 'nspawn.log'), `--- boot ${new Date().toISOString()} pid ${child.pid}\n`);
  return child.pid!;
}

function sshBanner(ip: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: ip, port: 22 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('data', (d) => done(d.toString().startsWith('SSH-')));
    socket.once('error', () => done(false));
  });
}

/** systemd's own view of the boot: starting, running, degraded, ... */
export function systemState(node: LabNode): Promise<string> {
  const leader = leaderPid(node);
  if (!leader) return Promise.resolve('off');
  return new Promise((resolve) => {
    execFile('nsenter', ['-t', String(leader), '-a', 'systemctl', 'is-system-running'], { timeout: 5000 }, (_err, stdout) =>
      resolve(String(stdout).trim() || 'unknown'),
    );
  });
}

/** Up means: ssh answers and systemd has finished booting (every unit started or failed). */
export async function waitReady(node: LabNode, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let sshUp = false;
  while (Date.now() < deadline) {
    if (!nspawnPid(node)) throw new Error(`${node.name}: systemd-nspawn exited; see ${join(dir(node), 'nspawn.log')}`);
    sshUp ||= await sshBanner(node.ip);
    if (sshUp && ['running', 'degraded'].includes(await systemState(node))) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${node.name}: ${sshUp ? 'systemd did not finish booting' : 'ssh did not answer'} within ${timeoutMs / 1000}s`);
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return !isAlive(pid);
}

/** Clean shutdown (systemd powers off); a power cut if it does not finish in time. */
export async function shutdown(node: LabNode): Promise<void> {
  const pid = nspawnPid(node);
  if (!pid) return;
  thaw(node);
  process.kill(pid, 'SIGTERM');
  if (!(await waitGone(pid, 20_000))) await powerCut(node);
}

/** Power cut: SIGKILL of the node's PID 1 ends its whole PID namespace at once. */
export async function powerCut(node: LabNode): Promise<void> {
  const pid = nspawnPid(node);
  if (!pid) return;
  thaw(node);
  const leader = leaderPid(node);
  if (leader) process.kill(leader, 'SIGKILL');
  if (!(await waitGone(pid, 5_000))) process.kill(pid, 'SIGKILL');
  await waitGone(pid, 5_000);
}

export async function release(run: Run, node: LabNode): Promise<void> {
  rmSync(nspawnPidFile(node), { force: true });
  if ((await run(['mountpoint', '-q', rootOf(node)], { nothrow: true })).ok) await run(['umount', rootOf(node)]);
  removeCgroups(node);
}
