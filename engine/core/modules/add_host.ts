// add_host: a host (and its groups and variables) added to the run's inventory, for the plays
// after it, as Ansible's add_host action: once for the play's hosts (in a loop, once an item).
import type { Module, Outcome } from './types';

type AddHostArgs = Record<string, unknown> & { _raw_params?: unknown };

const NAME_KEYS = ['name', 'hostname', 'host'];
const GROUP_KEYS = ['groupname', 'groups', 'group'];
/** Not variables of the new host, as Ansible's special_args (`host` and `group` are, there). */
const SPECIAL = new Set(['name', 'hostname', 'groupname', 'groups']);

/** `name:port` (`[v6]:port` too), as Ansible's parse_address; a name it cannot read stays as it is. */
function nameAndPort(text: string): { name: string; port?: number } {
  const m = /^(\[[^\]]+\]|[^:[\]]+):(\d+)$/.exec(text);
  return m ? { name: m[1].replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) } : { name: text };
}

function groupList(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value)) return [...new Set(value.map((g) => String(g).trim()))];
  if (typeof value === 'string') return [...new Set(value.split(',').map((g) => g.trim()))];
  throw new Error('Groups must be specified as a list.');
}

/** Python's name of a value's type, as the refusal of raw parameters prints it. */
function pythonType(value: unknown): string {
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return { string: 'str', boolean: 'bool' }[typeof value as string] ?? 'NoneType';
}

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function sameVars(current: Record<string, unknown>, merged: Record<string, unknown>): boolean {
  return JSON.stringify(Object.entries(current).sort()) === JSON.stringify(Object.entries(merged).sort());
}

export const add_host: Module<AddHostArgs> = {
  name: 'add_host',
  controllerOnly: true,
  runsOnce: true,
  freeForm: 'kv',
  rawParams: true,
  schema: {
    type: 'object',
    description: "Adds a host to the run's inventory (for the plays after this one): its groups, and every other argument as its variables.",
    properties: {
      name: { type: 'string', description: 'The host (aliases hostname, host); `name:port` sets ansible_ssh_port.' },
      groups: {
        type: ['string', 'array'],
        items: { type: 'string' },
        description: 'Groups to put it in, a list or comma-separated (aliases groupname, group).',
      },
      _raw_params: { description: 'A mapping of the arguments as one template (`add_host: "{{ host_data }}"`).' },
    },
    additionalProperties: true,
  },
  plan(given, _found, ctx): Outcome {
    const { _raw_params: raw, ...named } = given;
    if (raw !== undefined && !isMapping(raw))
      return { changed: false, failed: true, msg: `Invalid raw parameters passed, requires a dictionary/mapping got a  <class '${pythonType(raw)}'>` };
    const args: Record<string, unknown> = { ...(raw ?? {}), ...named };
    const key = NAME_KEYS.find((k) => args[k] !== undefined);
    if (key === undefined) return { changed: false, failed: true, msg: 'name, host or hostname needs to be provided' };
    const { name, port } = nameAndPort(String(args[key]));
    let groups: string[];
    try {
      groups = groupList(args[GROUP_KEYS.find((k) => args[k] !== undefined) ?? 'groups']);
    } catch (err) {
      return { changed: false, failed: true, msg: (err as Error).message };
    }
    const vars = Object.fromEntries(Object.entries(args).filter(([k]) => !SPECIAL.has(k)));
    if (port !== undefined) vars.ansible_ssh_port = port;
    const known = ctx.inventory.host(name);
    const changed = !known || !sameVars(known.vars, { ...known.vars, ...vars }) || groups.some((g) => !known.groups.includes(g));
    return {
      changed,
      msg: changed ? `host ${name} added to the inventory` : `host ${name} already in the inventory as wanted`,
      result: { add_host: { host_name: name, groups, host_vars: vars } },
      inventory: { kind: 'host', name, groups, vars },
    };
  },
};
