// The PBX cluster kit: what it adds to the engine core (its modules, the cluster operations, the
// extended servers, SRV checks, the lab, the EC2 inventory). Commands load their code when run.
import type { CommandSpec, Flags, OptionSpec } from '../core/command';
import type { Extension } from '../core/extension';
import { clusterModules } from './modules';

const wait: Record<string, OptionSpec> = { wait: { type: 'string' } };
const calls: Record<string, OptionSpec> = { calls: { type: 'string' } };

async function operation(name: string, args: string[], flags: Flags): Promise<number> {
  const { opsCommand } = await import('./ops');
  return opsCommand(name, args, {
    inventory: flags.string('inventory'),
    json: flags.bool('json'),
    to: flags.string('to'),
    mode: flags.string('mode'),
    wait: flags.string('wait'),
    calls: flags.string('calls'),
  });
}

const commands: CommandSpec[] = [
  {
    name: 'status',
    help: 'status [--json]      The cluster: quorum, DC, nodes, every resource and where it runs, failures',
    run: (a, f) => operation('status', a, f),
  },
  { name: 'master', help: 'master              The node the PBX runs on', run: (a, f) => operation('master', a, f) },
  {
    name: 'restart',
    help: 'restart pbx         Stop the PBX through the cluster, wait, start it again',
    options: wait,
    run: (a, f) => operation('restart', a, f),
  },
  {
    name: 'switchover',
    help: [
      'switchover [--to NODE] [--calls N]',
      '                    Planned move of the PBX; prints how long SIP was unanswered on the VIP',
      '                    and, with --calls, whether N calls held through it were kept',
    ].join('\n'),
    options: { ...wait, ...calls, to: { type: 'string' } },
    run: (a, f) => operation('switchover', a, f),
  },
  {
    name: 'verify',
    help: [
      'verify failover [--mode kill|standby] [--calls N]',
      '                    Takes the active node away (lab: power cut), measures until SIP answers',
      '                    on the VIP again, checks data written before, brings the node back;',
      '                    prints the timeline. --calls N: N calls (sipp, through the VIP) held',
      '                    across it must be known after and answer a re-INVITE and a BYE',
      '                    (restart, switchover, verify: --wait SECONDS per cluster transition,',
      '                    default 120; a failed one is undone: exit 2)',
    ].join('\n'),
    options: { ...wait, ...calls, mode: { type: 'string' } },
    run: (a, f) => operation('verify', a, f),
  },
  {
    name: 'extend',
    help: [
      'extend run|start|stop|restart|rm|upgrade [-s TYPE] [-a IP] [-n NAME] [--yes]',
      '                    Extended servers (TYPE: media-server-only, queue-server-only,',
      '                    meeting-server-only, ivr-server-only), with --check/--diff like run',
    ].join('\n'),
    options: { 'server-type': { type: 'string', short: 's' }, address: { type: 'string', short: 'a' }, name: { type: 'string', short: 'n' } },
    run: async (a, f) => (await import('./ops/extend')).extendCommand(a, f),
  },
  {
    name: 'srv',
    help: [
      'srv check NAME [--server IP[:PORT]] [--draws N]',
      "                    SRV records of NAME as the DNS server serves them: each target's share",
      '                    under RFC 2782 per priority, where the load goes when a target is down,',
      '                    the failover order; checked by simulating many clients',
    ].join('\n'),
    options: { server: { type: 'string' }, draws: { type: 'string' } },
    run: async (a, f) => (await import('./ops/srv')).srvCommand(a, { server: f.string('server'), draws: f.string('draws'), json: f.bool('json') }),
  },
  {
    name: 'lab',
    help: [
      'lab up [--nodes 3] [--extra N] | down | status | kill NODE | start NODE | partition NODE | heal',
      '                    Local test hosts (systemd-nspawn nodes on a bridge with no uplink);',
      "                    'up' writes inventory/lab.yml (or -i FILE)",
    ].join('\n'),
    options: { nodes: { type: 'string' }, extra: { type: 'string' } },
    run: async (a, f) => (await import('./lab')).labCommand(a, { nodes: f.string('nodes'), extra: f.string('extra'), inventory: f.string('inventory') }),
  },
];

export const clusterKit: Extension = {
  modules: { modules: clusterModules },
  commands,
  inventoryPlugins: [
    { names: ['aws_ec2', 'amazon.aws.aws_ec2'], plugin: async (config, src) => (await import('./aws/inventory')).ec2InventoryData(config, src) },
  ],
};
