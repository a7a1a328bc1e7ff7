// Ansible's YAML inventory format (all/children/hosts/vars) plus group_vars/ and host_vars/
// directories beside the inventory file.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError, type SourcePos, suggestion } from '../errors';
import type { InventoryChange } from '../modules/types';
import { validate } from './validate';
import { inventoryPlugin, inventoryPluginNames } from './inventory-plugins';
import { loadYamlFile, positionOf } from './yaml';

type Vars = Record<string, unknown>;

interface Group {
  name: string;
  hosts: Set<string>;
  children: Set<string>;
  parents: Set<string>;
  vars: Vars;
}

export interface Inventory {
  /** Host names in the order they first appear. */
  hosts: string[];
  hostVars: Map<string, Vars>;
  groups: Map<string, Group>;
  file?: string;
  /** Where each host's and group's variable was written: `host NAME\0var` / `group NAME\0var`. */
  varPositions?: Map<string, SourcePos>;
  /** Bumped by every change during a run (add_host, group_by): what caches of it compare. */
  revision?: number;
}

/** Remembers where the variables of a host or group were written, for error messages. */
function notePositions(inv: Inventory, owner: string, vars: Vars): void {
  for (const key of Object.keys(vars)) {
    const pos = positionOf(vars, key);
    if (!pos) continue;
    inv.varPositions ??= new Map();
    inv.varPositions.set(`${owner}\0${key}`, pos);
  }
}

/** Where `name`'s value for `host` was written in the inventory (the host's own, then its groups'). */
export function inventoryVarPosition(inv: Inventory, host: string, name: string): SourcePos | undefined {
  const owners = [
    `host ${host}`,
    ...groupsOfHost(inv, host)
      .reverse()
      .map((g) => `group ${g.name}`),
  ];
  for (const owner of owners) {
    const pos = inv.varPositions?.get(`${owner}\0${name}`);
    if (pos) return pos;
  }
  return undefined;
}

function group(inv: Inventory, name: string): Group {
  let g = inv.groups.get(name);
  if (!g) {
    g = { name, hosts: new Set(), children: new Set(), parents: new Set(), vars: {} };
    inv.groups.set(name, g);
  }
  return g;
}

/** Adds a host (or more vars for it); returns its name. */
function addHost(inv: Inventory, entry: string, given: Vars): string {
  // `web1:2222` is host web1 on port 2222, as Ansible's YAML inventory reads it.
  const withPort = /^([^:[\]]+):(\d+)$/.exec(entry);
  const name = withPort ? withPort[1] : entry;
  const vars = withPort && given.ansible_port === undefined ? { ...given, ansible_port: Number(withPort[2]) } : given;
  if (!inv.hostVars.has(name)) {
    inv.hosts.push(name);
    inv.hostVars.set(name, {});
  }
  Object.assign(inv.hostVars.get(name)!, vars);
  notePositions(inv, `host ${name}`, given);
  return name;
}

function walkGroup(inv: Inventory, name: string, body: any): void {
  const g = group(inv, name);
  Object.assign(g.vars, body?.vars ?? {});
  notePositions(inv, `group ${name}`, body?.vars ?? {});
  for (const [host, vars] of Object.entries(body?.hosts ?? {})) {
    g.hosts.add(addHost(inv, host, (vars as Vars) ?? {}));
  }
  for (const [child, childBody] of Object.entries(body?.children ?? {})) {
    if (child === name) throw new InputError(`group '${name}' lists itself as a child`, positionOf(body.children, child));
    g.children.add(child);
    group(inv, child).parents.add(name);
    walkGroup(inv, child, childBody);
  }
}

/** Variables from group_vars/NAME(.yml|.yaml|/*.yml) or host_vars/NAME(...). */
function varsFromDir(dir: string, name: string): Vars {
  const merged: Vars = {};
  const candidates = [join(dir, name), join(dir, `${name}.yml`), join(dir, `${name}.yaml`)];
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    const files = statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((f) => /\.ya?ml$/.test(f))
          .sort()
          .map((f) => join(path, f))
      : [path];
    for (const file of files) {
      const { data } = loadYamlFile(file);
      if (data === null || data === undefined) continue;
      if (typeof data !== 'object' || Array.isArray(data))
        throw new InputError('a vars file must be a mapping of variable names to values', { file, line: 1, col: 1 });
      Object.assign(merged, data);
    }
  }
  return merged;
}

/** Detects a cycle in children so host resolution cannot loop forever. */
function checkCycles(inv: Inventory): void {
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (name: string, trail: string[]) => {
    if (done.has(name)) return;
    if (visiting.has(name)) throw new InputError(`group cycle: ${[...trail, name].join(' -> ')}${inv.file ? ` in ${inv.file}` : ''}`);
    visiting.add(name);
    for (const child of inv.groups.get(name)?.children ?? []) visit(child, [...trail, name]);
    visiting.delete(name);
    done.add(name);
  };
  for (const name of inv.groups.keys()) visit(name, []);
}

function emptyInventory(): Inventory {
  const inv: Inventory = { hosts: [], hostVars: new Map(), groups: new Map() };
  group(inv, 'all');
  group(inv, 'ungrouped');
  return inv;
}

/**
 * Ansible's host list inventory (`-i web1,web2:2222,`): a value with a comma that names no file
 * is the hosts themselves, each `name` or `name:port`, in group `all` and nothing else.
 */
function hostList(source: string): Inventory | undefined {
  if (!source.includes(',') || existsSync(source)) return undefined;
  const inv = emptyInventory();
  const data: Record<string, Vars> = {};
  for (const entry of source
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([^:[\]]+|\[[^\]]+\]):(\d+)$/.exec(entry);
    data[m ? m[1].replace(/^\[(.*)\]$/, '$1') : entry] = m ? { ansible_port: Number(m[2]) } : {};
  }
  walkGroup(inv, 'all', { hosts: data });
  return finish(inv);
}

export function loadInventory(file: string | undefined): Inventory {
  if (!file) return finish(emptyInventory());
  const listed = hostList(file);
  if (listed) return listed;
  const { data, src } = loadYamlFile(file);
  if (isPluginConfig(data))
    throw new InputError(`${file} is an inventory plugin configuration (plugin: ${String((data as Vars).plugin)}); it is read by loadInventoryAsync`);
  validate('inventory', data ?? {}, src);
  return fromData(data, file);
}

/** Any inventory, also one a registered plugin builds from an API (`plugin: NAME`). */
export async function loadInventoryAsync(file: string | undefined): Promise<Inventory> {
  if (!file) return finish(emptyInventory());
  const listed = hostList(file);
  if (listed) return listed;
  const { data, src } = loadYamlFile(file);
  if (!isPluginConfig(data)) {
    validate('inventory', data ?? {}, src);
    return fromData(data, file);
  }
  const name = String((data as Vars).plugin);
  const plugin = inventoryPlugin(name);
  if (!plugin)
    throw new InputError(
      `unknown inventory plugin '${name}'${suggestion(name, inventoryPluginNames())}`,
      positionOf(data as Vars, 'plugin') ?? { file, line: 1, col: 1 },
      'plugin',
    );
  return fromData(await plugin(data as Vars, src), file);
}

function isPluginConfig(data: unknown): boolean {
  return data !== null && typeof data === 'object' && 'plugin' in data;
}

function fromData(data: unknown, file: string): Inventory {
  const inv = emptyInventory();
  inv.file = file;
  for (const [name, body] of Object.entries((data ?? {}) as Record<string, unknown>)) walkGroup(inv, name, body);
  const dir = dirname(file);
  for (const g of inv.groups.values()) Object.assign(g.vars, varsFromDir(join(dir, 'group_vars'), g.name));
  for (const host of inv.hosts) Object.assign(inv.hostVars.get(host)!, varsFromDir(join(dir, 'host_vars'), host));
  return finish(inv);
}

function finish(inv: Inventory): Inventory {
  checkCycles(inv);
  const all = group(inv, 'all');
  for (const g of inv.groups.values())
    if (g.name !== 'all' && g.parents.size === 0) {
      g.parents.add('all');
      all.children.add(g.name);
    }
  for (const host of inv.hosts) {
    all.hosts.add(host);
    const grouped = [...inv.groups.values()].some((g) => g.name !== 'all' && g.name !== 'ungrouped' && g.hosts.has(host));
    if (!grouped) group(inv, 'ungrouped').hosts.add(host);
  }
  return inv;
}

/** Every host of a group, its children's included. */
export function hostsOfGroup(inv: Inventory, name: string, seen = new Set<string>()): Set<string> {
  const g = inv.groups.get(name);
  const out = new Set<string>(g?.hosts ?? []);
  if (!g || seen.has(name)) return out;
  seen.add(name);
  for (const child of g.children) for (const h of hostsOfGroup(inv, child, seen)) out.add(h);
  return out;
}

/** Groups a host belongs to, ordered like Ansible merges them: by depth, then by name. */
function groupsOfHost(inv: Inventory, host: string): Group[] {
  const depth = (g: Group): number => (g.name === 'all' ? 0 : 1 + Math.max(0, ...[...g.parents].map((p) => depth(inv.groups.get(p)!))));
  return [...inv.groups.values()].filter((g) => hostsOfGroup(inv, g.name).has(host)).sort((a, b) => depth(a) - depth(b) || a.name.localeCompare(b.name));
}

const varsCache = new WeakMap<Inventory, { revision: number; vars: Map<string, Vars> }>();

/**
 * Inventory variables of a host: group vars (all first, deeper groups later), then host vars.
 * Each host's merge is computed once per revision of the inventory.
 */
export function inventoryVars(inv: Inventory, host: string): Vars {
  let cached = varsCache.get(inv);
  if (!cached || cached.revision !== (inv.revision ?? 0)) {
    cached = { revision: inv.revision ?? 0, vars: new Map() };
    varsCache.set(inv, cached);
  }
  const cache = cached.vars;
  let vars = cache.get(host);
  if (!vars) {
    vars = {};
    for (const g of groupsOfHost(inv, host)) Object.assign(vars, g.vars);
    cache.set(host, Object.assign(vars, inv.hostVars.get(host) ?? {}));
  }
  return vars;
}

/** Ansible's implicit localhost: usable in patterns even when not in the inventory. */
export function ensureHost(inv: Inventory, name: string): boolean {
  if (inv.hostVars.has(name)) return true;
  if (name !== 'localhost' && name !== '127.0.0.1') return false;
  inv.hostVars.set(name, { ansible_connection: 'local' });
  return true;
}

/** A host as add_host sees it: its own groups (not those it is in through children) and variables. */
export function inventoryHost(inv: Inventory, name: string): { groups: string[]; vars: Vars } | undefined {
  const vars = inv.hostVars.get(name);
  if (!vars) return undefined;
  return { groups: [...inv.groups.values()].filter((g) => g.hosts.has(name)).map((g) => g.name), vars };
}

/** A group as group_by sees it: its own hosts and parent groups. */
export function inventoryGroup(inv: Inventory, name: string): { hosts: string[]; parents: string[] } | undefined {
  const g = inv.groups.get(name);
  return g && { hosts: [...g.hosts], parents: [...g.parents] };
}

/**
 * Applies an add_host or group_by to the inventory, as Ansible's strategy does: a new host joins
 * `all` (and `ungrouped` while it is in no other group), variables are merged into its own, new
 * groups are children of `all` unless given parents.
 */
export function changeInventory(inv: Inventory, change: InventoryChange): void {
  const underAll = (g: Group) => {
    if (g.name === 'all' || g.parents.size > 0) return;
    g.parents.add('all');
    group(inv, 'all').children.add(g.name);
  };
  const join = (g: Group, host: string) => {
    g.hosts.add(host);
    if (g.name !== 'ungrouped' && g.name !== 'all') inv.groups.get('ungrouped')?.hosts.delete(host);
  };
  const host = change.kind === 'host' ? change.name : change.host;
  if (!inv.hostVars.has(host)) {
    inv.hosts.push(host);
    inv.hostVars.set(host, {});
    group(inv, 'all').hosts.add(host);
    group(inv, 'ungrouped').hosts.add(host);
  }
  if (change.kind === 'host') {
    Object.assign(inv.hostVars.get(host)!, change.vars);
    for (const name of change.groups) {
      const g = group(inv, name);
      underAll(g);
      join(g, host);
    }
  } else {
    const g = group(inv, change.group);
    for (const name of change.parents.filter((p) => p !== change.group)) {
      const parent = group(inv, name);
      underAll(parent);
      g.parents.add(name);
      parent.children.add(g.name);
    }
    underAll(g);
    join(g, host);
  }
  inv.revision = (inv.revision ?? 0) + 1;
}
