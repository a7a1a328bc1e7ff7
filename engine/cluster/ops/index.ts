// Operations on a deployed cluster (PortSIP's ha_ctl.sh show|master|restart, and more):
// status, master, restart pbx, switchover, verify failover.
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { InputError } from '../../core/errors';
import { anyNode, type ClusterStatus, clusterStatus, connect, loadSite, type NodeLink, nodeOf, type Site, unhealthy } from './cluster';
import { quote } from '../../core/connection/quote';
import { waitForSip } from '../sip/options';
import { type CallsOutcome, HeldCalls } from '../sip/calls';
import { Timeline, type TimelineEvent, type Watch } from './timeline';

export interface OpsOptions {
  inventory?: string;
  json?: boolean;
  to?: string;
  mode?: string;
  /** Seconds to wait for each cluster transition. */
  wait?: string;
  /** Calls to hold across a switchover or failover. */
  calls?: string;
}

/** An operation that did not complete (a transition that timed out): exit 2, after undoing itself. */
class OperationFailed extends Error {}

/** How long each transition may take: --wait seconds, 120 by default. */
let transitionMs = 120_000;

const PBX = 'pbx';
const out = (line: string) => process.stdout.write(`${line}\n`);

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

/**
 * Where the PBX runs. "Nowhere" is asked again for up to 5 s: while a node joins, the cluster
 * rewrites every node's resource history and crm_mon shows the PBX running nowhere for a moment.
 */
async function locatePbx(link: NodeLink): Promise<string | undefined> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const node = nodeOf(await clusterStatus(link), PBX);
    if (node || Date.now() > deadline) return node;
    await sleep(500);
  }
}

/** What held calls showed: set up before, known to the PBX before and after, kept. */
interface CallsReport extends Omit<CallsOutcome, 'firstAnsweredAt'> {
  knownBefore?: number;
  knownAfter?: number;
}

/** The Call-IDs of `calls` the PBX on the VIP knows; undefined where its API cannot say. */
async function knownOf(site: Site, calls: HeldCalls): Promise<number | undefined> {
  const url = site.vars.pbx_api_url;
  const token = site.vars.pbx_api_token;
  // Only the stand-in has a calls API; PortSIP's for this is not known here.
  if (!site.vars.pbx_standin || typeof url !== 'string' || typeof token !== 'string') return undefined;
  return calls.knownAt(url, token).catch(() => 0);
}

/** N calls through the VIP, held until `transition` is over; then each must go on through the PBX. */
async function withCalls<T extends { calls?: CallsReport }>(site: Site, count: number, timeline: Timeline, transition: () => Promise<T>): Promise<T> {
  const { host, port } = sipTarget(site);
  const calls = count ? await HeldCalls.place(host, port, count, transitionMs) : undefined;
  try {
    const knownBefore = calls && (await knownOf(site, calls));
    const report = await transition();
    if (calls) {
      const knownAfter = await knownOf(site, calls);
      const { firstAnsweredAt, ...outcome } = await calls.resume(transitionMs);
      if (firstAnsweredAt) timeline.mark('calls answering again (first re-INVITE answered end to end)', firstAnsweredAt);
      report.calls = { ...outcome, knownBefore, knownAfter };
    }
    return report;
  } finally {
    calls?.close();
  }
}

/** The event of `resource` started on another node than `from`. */
const startedAway =
  (resource: string, label: string, from: string): Watch =>
  (s) => {
    const node = nodeOf(s, resource);
    return node && node !== from ? `${label} on ${node}` : undefined;
  };

function markSipAnswered(timeline: Timeline, answered: { seconds: number; line: string } | undefined): void {
  if (answered) timeline.mark(`SIP answered on the VIP (${answered.line.replace(/^SIP\/2\.0 /, '')})`, timeline.started + answered.seconds * 1000);
}

interface SwitchoverReport {
  from: string;
  to?: string;
  sipSeconds?: number;
  timeline: TimelineEvent[];
  calls?: CallsReport;
}

async function switchover(site: Site, link: NodeLink, to: string | undefined, calls: number): Promise<SwitchoverReport> {
  const before = nodeOf(await clusterStatus(link), PBX);
  if (!before) throw new InputError('the PBX is not running; nothing to switch over');
  if (to && !site.nodes.includes(to)) throw new InputError(`--to ${to}: not a cluster node (${site.nodes.join(', ')})`);
  if (to === before) throw new InputError(`the PBX already runs on ${to}`);
  const { host, port } = sipTarget(site);
  const timeline = new Timeline();
  const report = await withCalls(site, calls, timeline, async () => {
    // A temporary location constraint moves the chain; cleared afterwards so stickiness keeps it there.
    const move = to ? `crm_resource --move --resource ${PBX} --node ${quote(to)}` : `crm_resource --ban --resource ${PBX} --node ${quote(before)}`;
    timeline.begin(`switchover requested (${to ? `to ${to}` : `away from ${before}`})`);
    const res = await link.run(move);
    if (res.rc !== 0) throw new InputError(`${move}: ${res.stderr.trim()}`);
    const stopWatching = timeline.watch(link, [
      (s) => (nodeOf(s, PBX) !== before ? `PBX stopped on ${before}` : undefined),
      startedAway('vip', 'VIP up', before),
      startedAway(PBX, 'PBX started', before),
    ]);
    try {
      const status = await waitFor(link, (s) => Boolean(nodeOf(s, PBX)) && nodeOf(s, PBX) !== before, transitionMs, 'the PBX runs on another node');
      const answered = await waitForSip(host, (line) => !line.endsWith(before), 60_000, timeline.started, port);
      markSipAnswered(timeline, answered);
      const moved: Omit<SwitchoverReport, 'timeline'> = { from: before, to: nodeOf(status, PBX), sipSeconds: answered?.seconds };
      return moved;
    } finally {
      await stopWatching();
      await link.run(`crm_resource --clear --resource ${PBX}`);
    }
  });
  return { ...report, timeline: timeline.events };
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
  timeline: TimelineEvent[];
  calls?: CallsReport;
}

/** Takes the active node away (power cut in the lab, standby otherwise) and measures the recovery. */
async function verifyFailover(site: Site, link: NodeLink, mode: string, calls: number): Promise<FailoverReport> {
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
  const standby = (state: 'on' | 'off') => survivor.run(`crm_attribute --node ${quote(from)} --name standby --update ${state}`);
  const timeline = new Timeline();
  try {
    const report = await withCalls(site, calls, timeline, async () => {
      let lossSeen = false;
      const stopWatching = timeline.watch(survivor, [
        (s) => {
          const node = s.nodes.find((n) => n.name === from);
          lossSeen ||= Boolean(node && (!node.online || node.unclean || node.standby));
          return lossSeen ? `${from} ${mode === 'kill' ? 'lost' : 'in standby'} (seen by ${survivor.node})` : undefined;
        },
        (s) => {
          const node = s.nodes.find((n) => n.name === from);
          return mode === 'kill' && lossSeen && node && !node.unclean ? `${from} fenced` : undefined;
        },
        startedAway('vip', 'VIP up', from),
        startedAway(PBX, 'PBX started', from),
      ]);
      try {
        timeline.begin(mode === 'kill' ? `power cut of ${from}` : `${from} put in standby`);
        if (mode === 'kill') await powerCutLabNode(from);
        else await standby('on');
        const answered = await waitForSip(host, (line) => !line.endsWith(from), transitionMs, timeline.started, port);
        markSipAnswered(timeline, answered);
        const after = await waitFor(survivor, (s) => Boolean(nodeOf(s, PBX)) && nodeOf(s, PBX) !== from, transitionMs, 'the PBX runs on another node');
        const to = nodeOf(after, PBX)!;
        const newActive = await connect(site, to);
        const data = (await newActive.run(`cat ${quote(`${datapath}/failover-check`)}`)).stdout.trim();
        await newActive.conn.close();
        const fenced = mode === 'kill' ? (await survivor.run(`stonith_admin --history ${quote(from)} --verbose`)).stdout.includes('successful') : undefined;
        const recovered: Omit<FailoverReport, 'timeline'> = {
          mode,
          from,
          to,
          sipSeconds: answered?.seconds,
          answer: answered?.line,
          dataIntact: data === token,
          fenced,
        };
        return recovered;
      } finally {
        await stopWatching();
      }
    });
    if (mode === 'kill') {
      // Back means joined and settled: while a node joins, the cluster rewrites every node's
      // resource history, and crm_mon shows the PBX running nowhere for a moment (measured: ~2 s).
      await waitFor(survivor, (s) => Boolean(s.nodes.find((n) => n.name === from)?.online && nodeOf(s, PBX)), transitionMs, `${from} rejoined`);
      timeline.mark(`${from} back in the cluster`);
      report.rejoinedSeconds = (Date.now() - timeline.started) / 1000;
    }
    return { ...report, timeline: timeline.events };
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

function callsOption(value: string | undefined): number {
  if (value === undefined) return 0;
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > 200) throw new InputError(`--calls must be a whole number of calls from 1 to 200, got '${value}'`);
  return count;
}

const callsKept = (report: { calls?: CallsReport }) => !report.calls || report.calls.kept === report.calls.placed;

function renderTransition(report: { timeline: TimelineEvent[]; calls?: CallsReport }, origin: string): void {
  out(`timeline (seconds from ${origin}):`);
  for (const e of report.timeline) out(`${e.seconds.toFixed(2).padStart(8)}  ${e.event}`);
  const c = report.calls;
  if (!c) return;
  const known = (n: number | undefined) => (n === undefined ? 'not asked (no calls API)' : `${n}`);
  out(
    `calls: ${c.placed} up before (known to the PBX: ${known(c.knownBefore)}), known after: ${known(c.knownAfter)}; re-INVITE answered ${c.reinvited}, BYE answered ${c.ended}; longest media gap ${(c.longestMediaGapMs / 1000).toFixed(2)} s`,
  );
  for (const e of c.errors) out(`  lost: ${e}`);
  out(`calls kept ${c.kept}/${c.placed}`);
}

export async function opsCommand(command: string, args: string[], options: OpsOptions): Promise<number> {
  const site = await loadSite(options.inventory);
  if (options.wait !== undefined) {
    const seconds = Number(options.wait);
    if (!Number.isFinite(seconds) || seconds <= 0) throw new InputError(`--wait must be a positive number of seconds, got '${options.wait}'`);
    transitionMs = seconds * 1000;
  }
  const calls = callsOption(options.calls);
  const { host, port } = sipTarget(site);
  const link = await anyNode(site);
  try {
    switch (command) {
      case 'status': {
        const status = await clusterStatus(link);
        out(options.json ? JSON.stringify(status) : render(status));
        return unhealthy(status).length ? 2 : 0;
      }
      case 'master': {
        const node = await locatePbx(link);
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
      case 'switchover': {
        const report = await switchover(site, link, options.to, calls);
        if (options.json) out(JSON.stringify(report));
        else {
          out(`switchover ${report.from} -> ${report.to}: SIP answered on ${host}:${port} after ${report.sipSeconds?.toFixed(2) ?? 'never'} s`);
          renderTransition(report, 'the switchover request');
        }
        return report.sipSeconds !== undefined && callsKept(report) ? 0 : 2;
      }
      case 'verify': {
        if (args[0] !== 'failover') throw new InputError(`verify: only 'verify failover' is supported`);
        const mode = options.mode ?? (site.vars.lab ? 'kill' : 'standby');
        if (!['kill', 'standby'].includes(mode)) throw new InputError(`--mode must be kill or standby`);
        const report = await verifyFailover(site, link, mode, calls);
        if (options.json) out(JSON.stringify(report));
        else {
          out(
            `failover (${report.mode}) ${report.from} -> ${report.to}: SIP answered on the VIP after ${report.sipSeconds?.toFixed(2) ?? 'never'} s (${report.answer ?? 'no answer'})`,
          );
          out(
            `data written before: ${report.dataIntact ? 'intact' : 'MISSING'}${report.fenced === undefined ? '' : `; ${report.from} fenced: ${report.fenced ? 'yes' : 'NO'}; back in the cluster after ${report.rejoinedSeconds?.toFixed(1)} s`}`,
          );
          renderTransition(report, mode === 'kill' ? 'the power cut' : 'the standby');
        }
        return report.sipSeconds !== undefined && report.dataIntact && report.fenced !== false && callsKept(report) ? 0 : 2;
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
