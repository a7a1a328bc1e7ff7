// Host-side plumbing of the lab: bridge, namespaces, veths, overlay roots, per-node cgroups.
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BRIDGE, BRIDGE_MAC, CONTROLLER_IP, type LabNode, SUBNET_PREFIX } from './config';

export type Run = (argv: string[], opts?: { nothrow?: boolean }) => Promise<{ ok: boolean; stdout: string }>;

/** Runs a program (no shell) with zx; failures throw unless nothrow. */
export async function runner(): Promise<Run> {
  const { $ } = await import('zx');
  $.verbose = false;
  return async (argv, opts = {}) => {
    const result = await $({ nothrow: true, quiet: true })`${argv}`;
    if (result.exitCode !== 0 && !opts.nothrow) throw new Error(`${argv.join(' ')}: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
    return { ok: result.exitCode === 0, stdout: result.stdout };
  };
}

const CGROUP_HIERARCHIES = ['systemd', 'unified', 'freezer'];

export async function bridgeUp(run: Run): Promise<void> {
  if ((await run(['ip', 'link', 'show', BRIDGE], { nothrow: true })).ok) return;
  await run(['ip', 'link', 'add', BRIDGE, 'address', BRIDGE_MAC, 'type', 'bridge']);
  await run(['ip', 'link', 'set', BRIDGE, 'up']);
  await run(['ip', 'addr', 'add', `${CONTROLLER_IP}/${SUBNET_PREFIX}`, 'dev', BRIDGE]);
}

export async function bridgeDown(run: Run): Promise<void> {
  await run(['ip', 'link', 'del', BRIDGE], { nothrow: true });
}

/** A fresh namespace and cable for the node, as after a power cycle (no stale VIP survives). */
export async function plugNode(run: Run, node: LabNode): Promise<void> {
  await unplugNode(run, node);
  await run(['ip', 'netns', 'add', node.netns]);
  await run(['ip', 'link', 'add', node.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.netns]);
  await run(['ip', 'link', 'set', node.veth, 'master', BRIDGE, 'up']);
  await run(['ip', '-n', node.netns, 'link', 'set', 'lo', 'up']);
  await run(['ip', '-n', node.netns, 'addr', 'add', `${node.ip}/${SUBNET_PREFIX}`, 'dev', 'eth0']);
  await run(['ip', '-n', node.netns, 'link', 'set', 'eth0', 'up']);
  // The new eth0 has a new MAC; a REACHABLE cache entry for the old one would black-hole traffic
  // from the controller for ~30 s (base_reachable_time).
  await run(['ip', 'neigh', 'flush', 'to', node.ip, 'dev', BRIDGE], { nothrow: true });
}

export async function unplugNode(run: Run, node: LabNode): Promise<void> {
  await run(['ip', 'link', 'del', node.veth], { nothrow: true });
  await run(['ip', 'netns', 'del', node.netns], { nothrow: true });
}

/** Cable pulled or put back; the node keeps running (a network partition). */
export async function setLink(run: Run, node: LabNode, up: boolean): Promise<void> {
  await run(['ip', 'link', 'set', node.veth, up ? 'up' : 'down']);
}

/** Each node in its own cgroup, so it can be frozen or killed as a whole. */
export function cgroupDirs(node: LabNode): string[] {
  return CGROUP_HIERARCHIES.map((h) => join('/sys/fs/cgroup', h, node.netns)).filter((d) => existsSync(join(d, '..')));
}

export function makeCgroups(node: LabNode): void {
  for (const dir of cgroupDirs(node)) mkdirSync(dir, { recursive: true });
}

export function removeCgroups(node: LabNode): void {
  const remove = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) remove(join(dir, entry.name));
    try {
      rmdirSync(dir);
    } catch {
      // Still has processes: the caller killed what it started; the kernel empties it shortly.
    }
  };
  cgroupDirs(node).forEach(remove);
}

/** The loop device of the shared image, attached once; its major:minor for the nodes' mknod. */
export async function sharedVolumeUp(run: Run, image: string, sizeMb: number): Promise<string> {
  if (!existsSync(image)) await run(['truncate', '-s', `${sizeMb}M`, image]);
  const attached = (await run(['losetup', '-j', image])).stdout.split(':')[0].trim();
  const device = attached || (await run(['losetup', '-f', '--show', image])).stdout.trim();
  const devnum = statSync(device).rdev;
  return `${Math.floor(devnum / 256) & 0xfff} ${(devnum & 0xff) | ((devnum >> 12) & 0xfff00)}`;
}

export async function sharedVolumeDown(run: Run, image: string): Promise<void> {
  if (!existsSync(image)) return;
  for (const line of (await run(['losetup', '-j', image], { nothrow: true })).stdout.split('\n').filter(Boolean)) {
    await run(['losetup', '-d', line.split(':')[0]], { nothrow: true });
  }
}

export function thaw(node: LabNode): void {
  const state = join('/sys/fs/cgroup/freezer', node.netns, 'freezer.state');
  if (existsSync(state)) writeFileSync(state, 'THAWED');
}
