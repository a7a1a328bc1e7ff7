// Variable precedence, lowest first (Ansible's order for the sources we support):
//  1 role defaults (all roles of the play, the task's own last)
//                             2 inventory: group vars (all, parents, children), host vars
//  3 gathered facts           4 play vars                5 play vars_files
//  6 role vars                7 block and task vars      8 set_fact / include_vars / register
//  9 role params              10 extra vars (-e), which always win
// plus magic variables (inventory_hostname, groups, hostvars, ...), which cannot be overridden.
import { hostsOfGroup, type Inventory, inventoryVars } from '../load/inventory';
import { OMIT, VarScope } from '../load/template/scope';
import type { Task, Vars } from '../load/types';
import type { HostState, PlayRun } from './state';
import { TaskValues } from './values';

function factVars(facts: Vars): Vars {
  const out: Vars = { ansible_facts: facts };
  for (const [k, v] of Object.entries(facts)) out[`ansible_${k}`] = v;
  return out;
}

const groupsCache = new WeakMap<Inventory, { revision: number; groups: Record<string, string[]> }>();

/** `groups`: every group's hosts in inventory order, once per revision of the inventory (add_host, group_by). */
function groupsMap(inv: Inventory): Record<string, string[]> {
  const cached = groupsCache.get(inv);
  if (cached && cached.revision === (inv.revision ?? 0)) return cached.groups;
  const groups = Object.fromEntries([...inv.groups.keys()].map((g) => [g, inv.hosts.filter((h) => hostsOfGroup(inv, g).has(h))]));
  groupsCache.set(inv, { revision: inv.revision ?? 0, groups });
  return groups;
}

/** A lazily resolved view of another host's variables, for hostvars[...]. */
function hostvarsProxy(play: PlayRun): Record<string, unknown> {
  const cache = new Map<string, Record<string, unknown>>();
  return new Proxy({} as Record<string, unknown>, {
    has: (_t, name) => typeof name === 'string' && play.run.inventory.hostVars.has(name),
    get(_t, name) {
      if (typeof name !== 'string' || !play.run.inventory.hostVars.has(name)) return undefined;
      if (!cache.has(name)) {
        const scope = hostScope(play, play.run.hosts.get(name) ?? ({ name, facts: {}, hostFacts: {} } as HostState));
        // As Ansible's: a host's variables there hold no hostvars (a view of every host, itself included).
        const visible = (key: string | symbol): key is string => typeof key === 'string' && key !== 'hostvars' && scope.has(key);
        cache.set(
          name,
          new Proxy({} as Record<string, unknown>, {
            has: (_x, key) => visible(key),
            get: (_x, key) => (visible(key) ? scope.get(key) : undefined),
            ownKeys: () => Object.keys(scope.raw).filter((key) => key !== 'hostvars'),
            getOwnPropertyDescriptor: (_x, key) => (visible(key) ? { enumerable: true, configurable: true, value: scope.get(key) } : undefined),
          }),
        );
      }
      return cache.get(name);
    },
    ownKeys: () => play.run.inventory.hosts,
    getOwnPropertyDescriptor: () => ({ enumerable: true, configurable: true }),
  });
}

function magic(play: PlayRun, host: HostState, task?: Task): Vars {
  const inv = play.run.inventory;
  return {
    inventory_hostname: host.name,
    inventory_hostname_short: host.name.split('.')[0],
    inventory_dir: inv.file ? require('node:path').dirname(inv.file) : undefined,
    group_names: Object.entries(groupsMap(inv))
      .filter(([g, hosts]) => g !== 'all' && hosts.includes(host.name))
      .map(([g]) => g),
    groups: groupsMap(inv),
    hostvars: hostvarsProxy(play),
    play_hosts: play.batch,
    ansible_play_hosts: play.playHosts.filter((h) => !play.run.hosts.get(h)?.failed && !play.run.hosts.get(h)?.unreachable),
    ansible_play_hosts_all: play.playHosts,
    ansible_play_batch: play.batch,
    ansible_play_name: play.play.name,
    ansible_check_mode: play.run.options.check,
    ansible_diff_mode: play.run.options.diff,
    ansible_run_tags: play.run.options.tags.length ? play.run.options.tags : ['all'],
    ansible_skip_tags: play.run.options.skipTags,
    ansible_verbosity: play.run.options.verbosity,
    // --yes: the operator confirmed what the roles would otherwise refuse (an online node leaving).
    engine_confirmed: play.run.options.confirmed,
    playbook_dir: play.run.playbookDir,
    // Ansible's default DEFAULT_MANAGED_STR, for `{{ ansible_managed }}` in templates.
    ansible_managed: 'Ansible managed',
    role_name: task?.role?.name,
    role_path: task?.role?.path,
    ...roleNames(play),
    ...(task?.role?.parents.length
      ? { ansible_parent_role_names: task.role.parents.map((p) => p.name), ansible_parent_role_paths: task.role.parents.map((p) => p.path) }
      : {}),
    // Where lookups look for a relative file, as Ansible's: the role, then the task file's own
    // directory (a role's tasks/ holds the files first_found picks in ansible-core's own roles).
    ansible_search_path: [...new Set([task?.role?.path, task?.dir].filter((d): d is string => !!d))],
    omit: OMIT,
  };
}

/** The play's roles by name: those it lists, those they depend on, and both. */
function roleNames(play: PlayRun): Vars {
  const listed = [...new Set(play.play.roles.filter((r) => !r.dependency).map((r) => r.name))];
  const dependent = [...new Set(play.play.roles.filter((r) => r.dependency).map((r) => r.name))];
  return {
    role_names: listed,
    ansible_play_role_names: listed,
    ansible_dependent_role_names: dependent,
    ansible_role_names: [...new Set([...listed, ...dependent])],
  };
}

/**
 * set_fact, register and include_vars values of a host, as two layers of the same precedence:
 * the first two are final values (data), include_vars files are templated like any vars file.
 */
function hostFactLayers(host: HostState): { vars: Vars; data?: boolean }[] {
  const data: Vars = {};
  const templated: Vars = {};
  for (const [name, value] of Object.entries(host.hostFacts)) (host.dataNames?.has(name) ? data : templated)[name] = value;
  return [{ vars: templated }, { vars: data, data: true }];
}

/** Variables of a host outside any task: for hostvars and connection settings. */
export function hostScope(play: PlayRun, host: HostState): VarScope {
  return VarScope.layered(play.run.templar, [
    { vars: inventoryVars(play.run.inventory, host.name) },
    { vars: factVars(host.facts), data: true },
    { vars: play.play.vars },
    { vars: play.varsFiles },
    ...hostFactLayers(host),
    { vars: play.run.options.extraVars },
    { vars: magic(play, host), data: true },
  ]);
}

/**
 * What a task sees of its connection when nothing set it, as Ansible's play context adds it to
 * task variables (not to hostvars): the address and the kind of connection the engine uses.
 */
function connectionDefaults(play: PlayRun, host: HostState): Vars {
  const local = host.name === 'localhost' || host.name === '127.0.0.1';
  return { ansible_host: host.name, ansible_connection: play.play.connection ?? (local ? 'local' : 'ssh') };
}

/**
 * Variables of a host for one task, in precedence order. As in Ansible (private_role_vars off),
 * the defaults and vars of every role of the play are visible to all its tasks; the task's own
 * role wins over the others. Facts, registered results and set_fact values are data: what a
 * host sent back is never templated on the controller.
 */
function taskScope(play: PlayRun, host: HostState, task: Task): VarScope {
  const role = task.role;
  const roles = play.play.roles;
  return VarScope.layered(play.run.templar, [
    { vars: connectionDefaults(play, host), data: true },
    { vars: Object.assign({}, ...roles.map((r) => r.defaults)) },
    { vars: role?.defaults ?? {} },
    { vars: inventoryVars(play.run.inventory, host.name) },
    { vars: factVars(host.facts), data: true },
    { vars: play.play.vars },
    { vars: play.varsFiles },
    { vars: Object.assign({}, ...roles.map((r) => r.vars)) },
    { vars: role?.vars ?? {} },
    { vars: task.vars },
    ...hostFactLayers(host),
    { vars: role?.params ?? {} },
    { vars: task.loopVars ?? {}, data: true },
    { vars: play.run.options.extraVars },
    { vars: magic(play, host, task), data: true },
  ]);
}

/** The task's keywords and arguments, rendered with the host's variables at this task. */
export function taskValues(play: PlayRun, host: HostState, task: Task): TaskValues {
  return new TaskValues(play.run.templar, task, taskScope(play, host, task));
}
