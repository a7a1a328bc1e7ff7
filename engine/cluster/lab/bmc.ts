// Simulated BMCs for the lab: one OpenIPMI `ipmi_sim` per cluster node, on the controller at an
// address of the lab bridge (the node's .133 -> BMC .233), speaking IPMI 2.0 over LAN with a
// per-lab admin password. Its chassis power control (bmc-chassis) powers the node off and on
// through the lab's power daemon, so the cluster fences with fence_ipmilan as on-premise sites do.
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../../core/process';
import { PROJECT_ROOT } from '../paths';
import { BRIDGE, type LabNode, paths, SUBNET_PREFIX } from './config';
import type { Run } from './host';
import { nspawnPidFile } from './node';

const BMC_USER = 'admin';
const CHASSIS = join(PROJECT_ROOT, 'engine/cluster/lab/bmc-chassis');
/** A BMC without SDRs or sensors: enough for chassis power control (ipmi_sim_cmd(5)). */
const EMULATION = 'mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02\nmc_enable 0x20\n';

export function bmcAddress(node: LabNode): string {
  const [a, b, c, d] = node.ip.split('.');
  return `${a}.${b}.${c}.${Number(d) + 100}`;
}

const bmcDir = (node: LabNode) => join(paths.bmcs(), node.name);
const pidFile = (node: LabNode) => join(bmcDir(node), 'ipmi_sim.pid');

/** The lab's BMC password: made once per lab, kept in its directory (root only). */
export function bmcPassword(): string {
  const file = join(paths.bmcs(), 'password');
  if (!existsSync(file)) {
    mkdirSync(paths.bmcs(), { recursive: true });
    // IPMI 1.5 passwords (and ipmi_sim's) hold at most 16 bytes.
    writeFileSync(file, `bmc-${randomBytes(6).toString('hex')}`, { mode: 0o600 });
  }
  return readFileSync(file, 'utf8');
}

function lanConf(node: LabNode, password: string): string {
  const chassis = [CHASSIS, paths.fenceDir(), nspawnPidFile(node), node.name].join(' ');
  return `name "${node.name}-bmc"
set_working_mc 0x20
  startlan 1
    addr ${bmcAddress(node)} 623
    priv_limit admin
    allowed_auths_callback md5
    allowed_auths_user md5
    allowed_auths_operator md5
    allowed_auths_admin md5
    guid ${randomBytes(16).toString('hex')}
  endlan
  chassis_control "${chassis}"
  user 2 true "${BMC_USER}" "${password}" admin 10 md5
`;
}

/** Starts the BMC of every node given that does not run yet; they stop with `lab down`. */
export async function startBmcs(run: Run, nodes: LabNode[]): Promise<void> {
  const password = bmcPassword();
  const bridgeAddresses = (await run(['ip', '-o', 'addr', 'show', 'dev', BRIDGE], { nothrow: true })).stdout;
  for (const node of nodes) {
    if (existsSync(pidFile(node)) && isAlive(Number(readFileSync(pidFile(node), 'utf8')))) continue;
    const address = bmcAddress(node);
    if (!bridgeAddresses.includes(` ${address}/`)) await run(['ip', 'addr', 'add', `${address}/${SUBNET_PREFIX}`, 'dev', BRIDGE]);
    const dir = bmcDir(node);
    mkdirSync(join(dir, 'state'), { recursive: true });
    writeFileSync(join(dir, 'lan.conf'), lanConf(node, password), { mode: 0o600 });
    writeFileSync(join(dir, 'bmc.emu'), EMULATION);
    const child = spawn('ipmi_sim', ['-n', '-c', join(dir, 'lan.conf'), '-f', join(dir, 'bmc.emu'), '-s', join(dir, 'state')], {
      detached: true,
      stdio: 'ignore',
    });
    child.unref();
    writeFileSync(pidFile(node), String(child.pid));
  }
}

export function stopBmcs(nodes: LabNode[]): void {
  for (const node of nodes) {
    if (!existsSync(pidFile(node))) continue;
    const pid = Number(readFileSync(pidFile(node), 'utf8'));
    if (isAlive(pid)) process.kill(pid, 'SIGTERM');
    rmSync(pidFile(node), { force: true });
  }
}
