// Reaching a running cluster for the operations commands: the site's settings (inventory plus its
// vars file), a connection to the first node that answers, and the cluster's state from crm_mon.
import { isAbsolute, join } from 'node:path';
import { resolveSshTarget, SshConnection } from '../../core/connection/ssh';
import type { Connection, ExecOptions } from '../../core/connection/types';
import { InputError } from '../../core/errors';
import { hostsOfGroup, type Inventory, inventoryVars, loadInventoryAsync } from '../../core/load/inventory';
import { Templar } from '../../core/load/template/templar';
import { VarScope } from '../../core/load/template/scope';
import type { Vars } from '../../core/load/types';
import { loadYamlFile } from '../../core/load/yaml';
import { child, type El, parseXml } from '../cib/xml';
import { PROJECT_ROOT } from '../paths';

export interface Site {
  inventory: Inventory;
  /** Cluster nodes (the pbx group) in inventory order. */
  nodes: string[];
  /** Site settings: inventory vars of the first node over the site vars file (vars.yml). */
  vars: Vars;
  hostVars(host: string): Vars;
}

export async function loadSite(inventoryFile: string | undefined, group = 'pbx'): Promise<Site> {
  const inventory = await loadInventoryAsync(inventoryFile);
  const nodes = inventory.hosts.filter((h) => hostsOfGroup(inventory, group).has(h));
  if (!nodes.length) throw new InputError(`inventory ${inventoryFile ?? '(none)'} has no hosts in group '${group}'`);
  const templar = new Templar();
  const hostVars = (host: string): Vars => {
    const scope = new VarScope({ ...inventoryVars(inventory, host), inventory_hostname: host }, templar);
    return Object.fromEntries(Object.keys(scope.raw).map((k) => [k, scope.get(k)]));
  };
  const first = hostVars(nodes[0]);
  const siteFile = String(first.site_vars ?? join(PROJECT_ROOT, 'vars.yml'));
  const { data } = loadYamlFile(isAbsolute(siteFile) ? siteFile : join(PROJECT_ROOT, 'playbooks', siteFile));
  const scope = new VarScope({ ...(data as Vars), ...first }, templar);
  const vars = Object.fromEntries(Object.keys(scope.raw).map((k) => [k, safeGet(scope, k)]));
  return { inventory, nodes, vars, hostVars };
}

/** Vault references the operations do not need (passwords) stay unresolved instead of failing. */
function safeGet(scope: VarScope, key: string): unknown {
  try {
    return scope.get(key);
  } catch {
    return undefined;
  }
}

export interface NodeLink {
  node: string;
  conn: Connection;
  run(command: string, options?: ExecOptions): Promise<{ rc: number; stdout: string; stderr: string }>;
}

export async function connect(site: Site, node: string, timeoutMs = 3000): Promise<NodeLink> {
  const vars = site.hostVars(node);
  const target = resolveSshTarget(node, { ansible_timeout: timeoutMs / 1000, ...vars }, { acceptNewHostKeys: false });
  const conn = await SshConnection.open(target);
  const become = vars.ansible_become && target.user !== 'root' ? { user: 'root' } : undefined;
  return { node, conn, run: (command, options) => conn.run(command, { become, ...options }) };
}

/** The first node that answers, skipping the ones listed (a node just killed, for instance). */
export async function anyNode(site: Site, skip: string[] = []): Promise<NodeLink> {
  const errors: string[] = [];
  for (const node of site.nodes.filter((n) => !skip.includes(n))) {
    try {
      return await connect(site, node);
    } catch (err) {
      errors.push(`${node}: ${(err as Error).message}`);
    }
  }
  throw new InputError(`no cluster node reachable (${errors.join('; ')})`);
}

export interface ClusterStatus {
  dc?: string;
  quorate: boolean;
  nodes: { name: string; online: boolean; standby: boolean; unclean: boolean }[];
  resources: { id: string; agent: string; role: string; nodes: string[]; failed: boolean }[];
  failures: { resource: string; node: string; task: string; status: string }[];
}

function resourcesOf(el: El): El[] {
  return el.children.flatMap((c) => (c.name === 'resource' ? [c] : ['group', 'clone', 'bundle'].includes(c.name) ? resourcesOf(c) : []));
}

function parseCrmMon(xml: string): ClusterStatus {
  const root = parseXml(xml);
  const summary = child(root, 'summary');
  const dc = summary && child(summary, 'current_dc');
  return {
    dc: dc?.attrs.present === 'true' ? dc.attrs.name : undefined,
    quorate: dc?.attrs.with_quorum === 'true',
    nodes: (child(root, 'nodes')?.children ?? []).map((n) => ({
      name: n.attrs.name,
      online: n.attrs.online === 'true',
      standby: n.attrs.standby === 'true',
      unclean: n.attrs.unclean === 'true',
    })),
    resources: resourcesOf(child(root, 'resources') ?? { name: 'resources', attrs: {}, children: [] }).map((r) => ({
      id: r.attrs.id,
      agent: r.attrs.resource_agent,
      role: r.attrs.role,
      nodes: r.children.filter((c) => c.name === 'node').map((c) => c.attrs.name),
      failed: r.attrs.failed === 'true',
    })),
    failures: (child(root, 'failures')?.children ?? []).map((f) => ({
      resource: f.attrs.op_key?.split('_')[0] ?? '',
      node: f.attrs.node,
      task: f.attrs.task,
      status: f.attrs.status,
    })),
  };
}

export async function clusterStatus(link: NodeLink): Promise<ClusterStatus> {
  const res = await link.run('crm_mon --one-shot --inactive --output-as=xml');
  if (res.rc !== 0 && !res.stdout.includes('<pacemaker-result')) throw new InputError(`crm_mon on ${link.node} failed: ${res.stderr.trim() || `rc ${res.rc}`}`);
  return parseCrmMon(res.stdout);
}

/** Where a resource runs (the active node for `pbx`). */
/** Why the cluster is not healthy: no quorum, a node awaiting fencing (UNCLEAN), failed actions. */
export function unhealthy(status: ClusterStatus): string[] {
  return [
    ...(status.quorate ? [] : ['no quorum']),
    ...status.nodes.filter((n) => n.unclean).map((n) => `${n.name} is UNCLEAN (awaiting fencing)`),
    ...(status.failures.length ? [`${status.failures.length} failed action(s)`] : []),
  ];
}

export function nodeOf(status: ClusterStatus, resource: string): string | undefined {
  const r = status.resources.find((x) => x.id === resource && x.role === 'Started');
  return r?.nodes[0];
}
