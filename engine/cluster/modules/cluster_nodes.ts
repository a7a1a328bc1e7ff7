// cluster_nodes: the running cluster's node list made the declared one, one node at a time and
// never by creating the cluster again: nodes no longer declared leave (`pcs cluster node remove`,
// then Pacemaker's peer cache forgets them), new ones join (`pcs cluster node add --start
// --enable`). A node that leaves while it is online is what a typo in the site vars would do: it
// needs `remove_online` (the CLI's --yes), in a dry run as in a real one. Before the cluster first
// starts there is nothing to compare: `pcs cluster setup` creates it with the declared nodes.
import { quote } from '../../core/connection/quote';
import { type Module, Query } from '../../core/modules/types';
import { checkName } from '../../core/modules/util/names';
import { argvStep, runStep } from '../../core/modules/util/steps';

interface NodeSpec {
  name: string;
  addr: string;
}

interface NodesArgs {
  nodes: NodeSpec[];
  remove_online?: boolean;
  forget_timeout?: number;
}

/** What the cluster holds now; `running: false` when corosync does not run on the host. */
export interface Membership {
  running: boolean;
  /** Corosync's node list (corosync-cmapctl), in its order. */
  members: string[];
  /** Nodes Pacemaker sees as members (online) now. */
  online: string[];
}

/** Pure: who leaves, who joins, and whether the change may go ahead. */
export function planMembership(declared: NodeSpec[], found: Membership, removeOnline: boolean) {
  const names = declared.map((n) => n.name);
  const leaving = found.members.filter((m) => !names.includes(m));
  const joining = declared.filter((n) => !found.members.includes(n.name));
  const leavingOnline = leaving.filter((m) => found.online.includes(m));
  const refusal =
    leavingOnline.length && !removeOnline
      ? `${leavingOnline.join(', ')} ${leavingOnline.length === 1 ? 'is' : 'are'} online: removing a running node from the cluster needs --yes (or stop it first)`
      : undefined;
  return { leaving, joining, refusal };
}

/** One round trip: corosync's node list, and Pacemaker's peers with their state. */
const PROBE = [
  "if ! list=$(corosync-cmapctl nodelist 2>/dev/null); then echo 'NOT-RUNNING'; exit 0; fi",
  `printf '%s\\n' "$list" | sed -n 's/^nodelist\\.node\\.[0-9]*\\.name (str) = /N /p'`,
  'crm_node --list 2>/dev/null | awk \'{ print "P", $2, $3 }\'',
].join('\n');

export function parseMembership(stdout: string): Membership {
  if (stdout.trim() === 'NOT-RUNNING') return { running: false, members: [], online: [] };
  const lines = stdout.split('\n').map((l) => l.split(' '));
  return {
    running: true,
    members: lines.filter(([kind]) => kind === 'N').map(([, name]) => name),
    online: lines.filter(([kind, , state]) => kind === 'P' && state === 'member').map(([, name]) => name),
  };
}

/**
 * pcs gives a joining node the lowest free node id, often the one of the node that just left; as
 * long as Pacemaker's peer cache still holds the old name under that id, the new node stays
 * "pending" (seen in the lab: a replacement stalled for minutes). So the cache must forget it first.
 */
function forgetScript(name: string, seconds: number): string {
  const q = quote(name);
  return [
    `for attempt in $(seq ${seconds}); do`,
    `  crm_node --list | awk '{ print $2 }' | grep -qxF -- ${q} || exit 0`,
    `  crm_node --force --remove ${q} >/dev/null 2>&1 || true`,
    '  sleep 1',
    'done',
    `echo "Pacemaker still lists "${q}" after ${seconds} s" >&2`,
    'exit 1',
  ].join('\n');
}

export const cluster_nodes: Module<NodesArgs, Membership> = {
  name: 'cluster_nodes',
  schema: {
    type: 'object',
    description: "Makes the running cluster's node list the declared one: removed nodes leave, new ones join, one at a time.",
    properties: {
      nodes: {
        type: 'array',
        description: 'The cluster nodes: {name, addr}.',
        items: { type: 'object', properties: { name: { type: 'string' }, addr: { type: 'string' } }, required: ['name', 'addr'] },
      },
      remove_online: { type: 'boolean', description: 'A node that is still online may leave (default false: refused).' },
      forget_timeout: { type: 'integer', description: 'Seconds to wait for Pacemaker to forget a node that left (default 30).' },
    },
    required: ['nodes'],
    additionalProperties: false,
  },
  probe: () => new Query(PROBE, (res) => parseMembership(res.stdout), { what: 'reading the cluster membership' }),
  plan(args, found) {
    for (const n of args.nodes) checkName(n.name, 'node name');
    if (!found.running) return { changed: false, msg: 'no cluster runs here yet: it is created with the declared nodes' };
    const { leaving, joining, refusal } = planMembership(args.nodes, found, Boolean(args.remove_online));
    if (refusal) return { changed: false, failed: true, msg: refusal };
    if (!leaving.length && !joining.length) return { changed: false, msg: 'cluster nodes as declared' };
    const after = [...found.members.filter((m) => !leaving.includes(m)), ...joining.map((n) => n.name)];
    return {
      changed: true,
      msg: [
        leaving.length && `${leaving.join(', ')} leave${leaving.length === 1 ? 's' : ''}`,
        joining.length && `${joining.map((n) => n.name).join(', ')} join${joining.length === 1 ? 's' : ''}`,
      ]
        .filter(Boolean)
        .join('; '),
      diff: [{ before: `${found.members.join('\n')}\n`, after: `${after.join('\n')}\n`, beforeHeader: 'cluster nodes', afterHeader: 'cluster nodes' }],
      steps: [
        ...leaving.flatMap((name) => [
          argvStep(['pcs', 'cluster', 'node', 'remove', name]),
          runStep(forgetScript(name, args.forget_timeout ?? 30), `waiting for Pacemaker to forget ${name}`),
        ]),
        ...joining.map((n) => argvStep(['pcs', 'cluster', 'node', 'add', n.name, `addr=${n.addr}`, '--start', '--enable'])),
      ],
    };
  },
};
