// group_by: the host put into a group named by a key (`key: os_{{ ansible_distribution }}`),
// made when it does not exist, under the given parents, as Ansible's group_by action.
import type { Module, Outcome } from './types';

interface GroupByArgs {
  key?: string;
  parents?: string | string[];
  _raw_params?: unknown;
}

export const group_by: Module<GroupByArgs> = {
  name: 'group_by',
  controllerOnly: true,
  freeForm: 'kv',
  rawParams: true,
  schema: {
    type: 'object',
    description: "Puts the host in the group named key (spaces become dashes), made under the parents (default 'all') when it does not exist.",
    properties: {
      key: { type: 'string', description: 'The group (usually templated from facts).' },
      parents: { type: ['string', 'array'], items: { type: 'string' }, description: "The group's parent groups (default: all)." },
      _raw_params: { description: 'Words that are no key=value: refused when the task runs, as Ansible refuses them.' },
    },
    additionalProperties: false,
  },
  plan(args, _found, ctx): Outcome {
    if (args.key === undefined) return { changed: false, failed: true, msg: "the 'key' param is required when using group_by" };
    const group = String(args.key).replace(/ /g, '-');
    const parents = (args.parents === undefined ? ['all'] : [args.parents].flat()).map((p) => String(p).replace(/ /g, '-'));
    const known = ctx.inventory.group(group);
    // Every group descends from 'all': a parent 'all' is there when the group has any parent.
    const underParent = (p: string) => p === group || known?.parents.includes(p) || (p === 'all' && (known?.parents.length ?? 0) > 0);
    const changed = !known?.hosts.includes(ctx.host) || !parents.every(underParent);
    return {
      changed,
      msg: changed ? `${ctx.host} put in group ${group}` : `${ctx.host} already in group ${group}`,
      result: { add_group: group, parent_groups: parents },
      inventory: { kind: 'group', host: ctx.host, group, parents },
    };
  },
};
