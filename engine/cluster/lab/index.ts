// `engine lab up|down|status|kill|start|partition|heal`: test hosts on this machine, reached only
// through a bridge with no uplink, and inventory/lab.yml describing them.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../../core/errors';
import { LAB_OWNER_FILE, labDir, labNodes, type LabNode, paths, SHARED_IMAGE_MB } from './config';
import { serveFencing, startFenceDaemon, stopFenceDaemon } from './fence';
import { bmcAddress, bmcPassword, startBmcs, stopBmcs } from './bmc';
import { buildPbxImage } from './image';
import { bridgeDown, bridgeUp, plugNode, runner, setLink, sharedVolumeDown, sharedVolumeUp, unplugNode } from './host';
import { boot, knownHostsLine, leaderPid, mountRoot, nspawnPid, release, seed, shutdown, systemState, waitReady } from './node';
import { powerOff, powerOn } from './power';
import { PROJECT_ROOT } from '../paths';

interface LabState {
  nodes: number;
  extra: number;
}

function readState(): LabState | undefined {
  return existsSync(paths.state()) ? (JSON.parse(readFileSync(paths.state(), 'utf8')) as LabState) : undefined;
}

function nodesOf(state: LabState | undefined): LabNode[] {
  if (!state) throw new InputError(`no lab here (${labDir()}); run 'engine lab up' first`);
  return labNodes(state.nodes, state.extra);
}

export function findNode(name: string | undefined): LabNode {
  const nodes = nodesOf(readState());
  const node = nodes.find((n) => n.name === name);
  if (!node) throw new InputError(`lab node '${name ?? ''}' unknown (nodes: ${nodes.map((n) => n.name).join(', ')})`);
  return node;
}

/** The nodes that may be PBX cluster members (they have BMCs); extended servers do not. */
const clusterNodes = (nodes: LabNode[]) => nodes.filter((n) => n.name.startsWith('pbx'));

function writeInventory(nodes: LabNode[], file: string): void {
  const group = (prefix: string) =>
    nodes
      .filter((n) => n.name.startsWith(prefix))
      .map((n) => `        ${n.name}: { ansible_host: ${n.ip} }`)
      .join('\n') || '        {}';
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    `# Written by 'engine lab up' for the local lab; do not edit (it is rewritten).
all:
  vars:
    ansible_user: root
    ansible_ssh_private_key_file: ${paths.key()}
    ansible_ssh_common_args: "-o UserKnownHostsFile=${paths.knownHosts()}"
    lab: true
    # The password of every node's simulated BMC, for fence_ipmilan (made for this lab).
    fence_ipmi_passwords:
${clusterNodes(nodes)
  .map((n) => `      ${bmcAddress(n)}: ${bmcPassword()}`)
  .join('\n')}
    # The lab's site settings (the production example is vars.yml at the project root).
    site_vars: ${join(PROJECT_ROOT, 'inventory/lab-vars.yml')}
  children:
    pbx:
      hosts:
${group('pbx')}
    extended:
      hosts:
${group('ext')}
`.replace(/hosts:\n {8}\{\}/g, 'hosts: {}'),
  );
}

/** Refuses to start a second lab while another directory's lab is up (they would share names). */
function claimLab(): void {
  const owner = existsSync(LAB_OWNER_FILE) ? readFileSync(LAB_OWNER_FILE, 'utf8').trim() : '';
  if (owner && owner !== labDir() && existsSync(owner)) {
    throw new InputError(
      `a lab from ${owner} is up (one lab per machine: the names are fixed); take it down first: PBX_LAB_DIR=${owner} npx ts-node engine lab down`,
    );
  }
  writeFileSync(LAB_OWNER_FILE, `${labDir()}\n`);
}

function releaseLab(): void {
  if (existsSync(LAB_OWNER_FILE) && readFileSync(LAB_OWNER_FILE, 'utf8').trim() === labDir()) rmSync(LAB_OWNER_FILE);
}

async function up(nodeCount: number, extra: number, inventory: string): Promise<void> {
  const run = await runner();
  const state: LabState = { nodes: nodeCount, extra };
  const nodes = nodesOf(state);
  claimLab();
  mkdirSync(labDir(), { recursive: true });
  if (!existsSync(paths.key())) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'pbx-lab', '-f', paths.key()]);
  writeFileSync(paths.state(), JSON.stringify(state));
  await bridgeUp(run);
  const devnum = await sharedVolumeUp(run, paths.sharedImage(), SHARED_IMAGE_MB);
  mkdirSync(paths.images(), { recursive: true });
  await buildPbxImage(run, paths.images());
  startFenceDaemon();
  await startBmcs(run, clusterNodes(nodes));
  const publicKey = readFileSync(`${paths.key()}.pub`, 'utf8');
  await Promise.all(
    nodes.map(async (node) => {
      if (nspawnPid(node)) return;
      await plugNode(run, node);
      await mountRoot(run, node);
      await seed(run, node, nodes, publicKey);
      boot(node, devnum);
    }),
  );
  writeFileSync(paths.knownHosts(), `${nodes.map(knownHostsLine).join('\n')}\n`);
  await Promise.all(nodes.map((n) => waitReady(n)));
  writeInventory(nodes, inventory);
  process.stdout.write(`lab up: ${nodes.map((n) => `${n.name} ${n.ip}`).join(', ')}; inventory ${inventory}\n`);
}

async function down(): Promise<void> {
  const run = await runner();
  const state = readState();
  if (!state) return;
  stopBmcs(clusterNodes(nodesOf(state)));
  stopFenceDaemon();
  for (const node of nodesOf(state)) {
    await shutdown(node);
    await release(run, node);
    await unplugNode(run, node);
  }
  await sharedVolumeDown(run, paths.sharedImage());
  await bridgeDown(run);
  releaseLab();
  process.stdout.write('lab down\n');
}

async function status(): Promise<void> {
  for (const node of nodesOf(readState())) {
    const systemd = await systemState(node);
    process.stdout.write(`${node.name.padEnd(6)} ${node.ip.padEnd(15)} ${leaderPid(node) ? 'running' : 'stopped'}  systemd: ${systemd}\n`);
  }
}

export async function labCommand(args: string[], options: { nodes?: string; extra?: string; inventory?: string }): Promise<number> {
  const [action, name] = args;
  const run = await runner();
  const inventory = resolve(options.inventory ?? 'inventory/lab.yml');
  switch (action) {
    case 'up': {
      const nodes = Number(options.nodes ?? 3);
      const extra = Number(options.extra ?? 0);
      if (!Number.isInteger(nodes) || nodes < 1 || nodes > 9) throw new InputError('--nodes must be 1..9');
      if (!Number.isInteger(extra) || extra < 0 || extra > 9) throw new InputError('--extra must be 0..9');
      await up(nodes, extra, inventory);
      return 0;
    }
    case 'down':
      await down();
      return 0;
    case 'status':
      await status();
      return 0;
    case 'kill': {
      // A power cut: the node dies at once and its network namespace (with any VIP) goes with it.
      await powerOff(run, findNode(name));
      return 0;
    }
    case 'start': {
      const node = findNode(name);
      await powerOn(run, node);
      await waitReady(node);
      return 0;
    }
    case 'partition':
      await setLink(run, findNode(name), false);
      return 0;
    case 'heal':
      for (const node of nodesOf(readState())) if (nspawnPid(node)) await setLink(run, node, true);
      return 0;
    case 'fenced':
      // Internal: the fence daemon that `lab up` starts in the background.
      await serveFencing(nodesOf(readState()));
      return 0;
    default:
      throw new InputError(`lab: unknown action '${action ?? ''}' (up, down, status, kill NODE, start NODE, partition NODE, heal)`);
  }
}
