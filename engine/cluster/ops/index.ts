// Operations on a deployed cluster (PortSIP's ha_ctl.sh show|master|restart, and more):
// status, master, restart pbx, switchover, verify failover.
import { randomBytes } from 'node:crypto';
import { InputError } from '../../core/errors';
import { anyNode, type ClusterStatus, clusterStatus, connect, loadSite, type NodeLink, nodeOf, type Site } from './cluster';
import { quote } from '../../core/connection/quote';
import { waitForSip } from '../sip/options';

export interface OpsOptions {
  inventory?: string;
  json?: boolean;
  to?: string;
  mode?: string;
  /** Seconds to wait for each cluster transition. */
  wait?: string;
}

/** An operation that did not complete (a transition that timed out): exit 2, after undoing itself. */
class OperationFailed extends Error {}

/** How long each transition may take: --wait seconds, 120 by default. */
let transitionMs = 120_000;

const PBX = 'pbx';
const out = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function render(status: ClusterStatus): string {
  const lines = [
    `cluster: ${status.quorate ? 'quorate' : 'NO QUORUM'}, DC ${status.dc ?? 'none'}`,
    `nodes:   ${status.nodes.map((n) => `${n.name} ${n.unclean ? 'UNCLEAN' : n.standby ? 'standby' : n.online ? 'online' : 'OFFLINE'}`).join(', ')}`,
    'resources:',
    ...status.resources.map((r) => `  ${r.id.padEnd(14)} ${r.agent.padEnd(28)} ${(r.failed ? 'FAILED' : r.role).padEnd(9)} ${r.nodes.join(' ')}`),
    `failed actions: ${status.failures.length ? status.failures.map((f) => `${f.resource} ${f.task} on ${f.node} (${f.status})`).join('; ') : 'none'}`,
  ];
  return lines.join('\n');
}

/** Polls the cluster (through `link`) until `ready` holds; returns the last status. */
async function waitFor(link: NodeLink, ready: (s: ClusterStatus) => boolean, limitMs: number, what: string): Promise<ClusterStatus> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const status = await clusterStatus(link).catch(() => undefined);
    if (status && ready(status)) return status;
    if (Date.now() > deadline) throw new OperationFailed(`timed out after ${limitMs / 1000} s waiting until ${what}`);
    await sleep(200);
  }
}

function sipTarget(site: Site): { host: string; port: number } {
  return { host: String(site.vars.vip), port: Number(site.vars.pbx_sip_port ?? 5060) };
}

async function restart(link: NodeLink): Promise<void> {
  const started = Date.now();
  await link.run(`crm_resource --resource ${PBX} --meta --set-parameter target-role --parameter-value Stopped`);
  try {
    await waitFor(link, (s) => !nodeOf(s, PBX), transitionMs, 'the PBX stopped');
    out(`pbx stopped after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    // Also when the stop failed: deleting target-role (rather than setting Started) leaves the
    // configuration as declared, and the cluster keeps or brings the PBX up.
    await link.run(`crm_resource --resource ${PBX} --meta --delete-parameter target-role`);
  }
  const status = await waitFor(link, (s) => Boolean(nodeOf(s, PBX)), transitionMs, 'the PBX started');
  out(`pbx started on ${nodeOf(status, PBX)} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function switchover(site: Site, link: NodeLink, to: string | undefined): Promise<number> {
  const before = nodeOf(await clusterStatus(link), PBX);
  if (!before) throw new InputError('the PBX is not running; nothing to switch over');
  if (to && !site.nodes.includes(to)) throw new InputError(`--to ${to}: not a cluster node (${site.nodes.join(', ')})`);
  if (to === before) throw new InputError(`the PBX already runs on ${to}`);
  const { host, port } = sipTarget(site);
  const started = Date.now();
  // A temporary location constraint moves the chain; cleared afterwards so stickiness keeps it there.
  const move = to ? `crm_resource --move --resource ${PBX} --node ${quote(to)}` : `crm_resource --ban --resource ${PBX} --node ${quote(before)}`;
  const res = await link.run(move);
  if (res.rc !== 0) throw new InputError(`${move}: ${res.stderr.trim()}`);
  try {
    const status = await waitFor(link, (s) => Boolean(nodeOf(s, PBX)) && nodeOf(s, PBX) !== before, transitionMs, 'the PBX runs on another node');
    const answered = await waitForSip(host, (line) => !line.endsWith(before), 60_000, started, port);
    const seconds = answered?.seconds ?? NaN;
    out(`switchover ${before} -> ${nodeOf(status, PBX)}: SIP answered on ${host}:${port} after ${seconds.toFixed(2)} s`);
    return answered ? 0 : 2;
  } finally {
    await link.run(`crm_resource --clear --resource ${PBX}`);
  }
}

interface FailoverReport {
  mode: string;
  from: string;
  to?: string;
  sipSeconds?: number;
  answer?: string;
  dataIntact: boolean;
  fenced?: boolean;
  rejoinedSeconds?: number;
}

/** Takes the active node away (power cut in the lab, standby otherwise) and measures the recovery. */
async function verifyFailover(site: Site, link: NodeLink, mode: string): Promise<FailoverReport> {
  const status = await clusterStatus(link);
  const from = nodeOf(status, PBX);
  if (!from) throw new InputError('the PBX is not running; deploy first');
  if (mode === 'kill' && !site.vars.lab)
    throw new InputError("--mode kill powers a node off and is for the lab only (inventory var 'lab: true'); use --mode standby in a maintenance window");
  const { host, port } = sipTarget(site);
  const datapath = String(site.vars.pbx_datapath ?? '/var/lib/pbx');
  const token = randomBytes(8).toString('hex');
  const active = await connect(site, from);
  await active.run(`echo ${token} > ${quote(`${datapath}/failover-check`)} && sync`);
  await active.conn.close();
  const survivor = from === link.node ? await anyNode(site, [from]) : link;
  const started = Date.now();
  const standby = (state: 'on' | 'off') => survivor.run(`crm_attribute --node ${quote(from)} --name standby --update ${state}`);
  try {
    if (mode === 'kill') await powerCutLabNode(from);
    else await standby('on');
    const answered = await waitForSip(host, (line) => !line.endsWith(from), transitionMs, started, port);
    const after = await waitFor(survivor, (s) => Boolean(nodeOf(s, PBX)) && nodeOf(s, PBX) !== from, transitionMs, 'the PBX runs on another node');
    const to = nodeOf(after, PBX)!;
    const newActive = await connect(site, to);
    const data = (await newActive.run(`cat ${quote(`${datapath}/failover-check`)}`)).stdout.trim();
    await newActive.conn.close();
    const report: FailoverReport = { mode, from, to, sipSeconds: answered?.seconds, answer: answered?.line, dataIntact: data === token };
    if (mode === 'kill') {
      report.fenced = (await survivor.run(`stonith_admin --history ${quote(from)} --verbose`)).stdout.includes('successful');
      await waitFor(survivor, (s) => Boolean(s.nodes.find((n) => n.name === from)?.online), transitionMs, `${from} rejoined`);
      report.rejoinedSeconds = (Date.now() - started) / 1000;
    }
    return report;
  } finally {
    // Also when a wait failed: the node leaves standby again, the cluster is as it was.
    if (mode === 'standby') await standby('off');
    if (survivor !== link) await survivor.conn.close();
  }
}

/** The lab's power cut (the same as `engine lab kill`); the cluster's fencing powers it on again. */
async function powerCutLabNode(name: string): Promise<void> {
  const { findNode } = await import('../lab');
  const { runner } = await import('../lab/host');
  const { powerOff } = await import('../lab/power');
  await powerOff(await runner(), findNode(name));
}

export async function opsCommand(command: string, args: string[], options: OpsOptions): Promise<number> {
  const site = await loadSite(options.inventory);
  if (options.wait !== undefined) {
    const seconds = Number(options.wait);
    if (!Number.isFinite(seconds) || seconds <= 0) throw new InputError(`--wait must be a positive number of seconds, got '${options.wait}'`);
    transitionMs = seconds * 1000;
  }
  const link = await anyNode(site);
  try {
    switch (command) {
      case 'status': {
        const status = await clusterStatus(link);
        out(options.json ? JSON.stringify(status) : render(status));
        return status.quorate && !status.failures.length ? 0 : 2;
      }
      case 'master': {
        const node = nodeOf(await clusterStatus(link), PBX);
        if (!node) {
          process.stderr.write('the PBX is not running on any node\n');
          return 2;
        }
        out(node);
        return 0;
      }
      case 'restart':
        if (args[0] !== PBX) throw new InputError(`restart: only 'restart pbx' is supported`);
        await restart(link);
        return 0;
      case 'switchover':
        return await switchover(site, link, options.to);
      case 'verify': {
        if (args[0] !== 'failover') throw new InputError(`verify: only 'verify failover' is supported`);
        const mode = options.mode ?? (site.vars.lab ? 'kill' : 'standby');
        if (!['kill', 'standby'].includes(mode)) throw new InputError(`--mode must be kill or standby`);
        const report = await verifyFailover(site, link, mode);
        if (options.json) out(JSON.stringify(report));
        else {
          out(
            `failover (${report.mode}) ${report.from} -> ${report.to}: SIP answered on the VIP after ${report.sipSeconds?.toFixed(2) ?? 'never'} s (${report.answer ?? 'no answer'})`,
          );
          out(
            `data written before: ${report.dataIntact ? 'intact' : 'MISSING'}${report.fenced === undefined ? '' : `; ${report.from} fenced: ${report.fenced ? 'yes' : 'NO'}; back in the cluster after ${report.rejoinedSeconds?.toFixed(1)} s`}`,
          );
        }
        return report.sipSeconds !== undefined && report.dataIntact && report.fenced !== false ? 0 : 2;
      }
      default:
        throw new InputError(`unknown operation '${command}'`);
    }
  } catch (err) {
    if (!(err instanceof OperationFailed)) throw err;
    process.stderr.write(`error: ${command}: ${err.message} (undone: the cluster is as it was before)\n`);
    return 2;
  } finally {
    await link.conn.close();
  }
}
