// group: local groups through groupadd/groupmod/groupdel.
import { quote } from '../connection/quote';
import { type Module, ModuleError, Query, type RunStep } from './types';
import { argvStep } from './util/steps';
import { checkName } from './util/names';

interface GroupArgs {
  name: string;
  state?: 'present' | 'absent';
  gid?: number;
  system?: boolean;
  non_unique?: boolean;
}

/** The command, then the group's line: the result gets the gid the system gave it, as Ansible's. */
function groupStep(argv: string[], name: string): RunStep {
  const step = argvStep(argv);
  return {
    ...step,
    script: `${step.script} && { getent group ${quote(name)} || true; }`,
    result: (res) => {
      if (res.rc !== 0) throw ModuleError.ofCommand(argv[0], res);
      const gid = res.stdout.split(':')[2];
      return gid === undefined ? {} : { gid: Number(gid) };
    },
  };
}

export const group: Module<GroupArgs, { exists: boolean; gid?: number }> = {
  name: 'group',
  freeForm: 'kv',
  schema: {
    type: 'object',
    description: 'Creates, changes or removes a local group.',
    properties: {
      name: { type: 'string', description: 'Group name.' },
      state: { enum: ['present', 'absent'], description: 'Default present.' },
      gid: { type: 'integer', description: 'Group id.' },
      system: { type: 'boolean', description: 'A system group (on creation).' },
      non_unique: { type: 'boolean', description: 'Allow a gid another group has (with gid).' },
    },
    required: ['name'],
    additionalProperties: false,
  },
  probe: (args) =>
    new Query(
      `getent group ${quote(checkName(args.name, 'group name'))}`,
      (res) => (res.rc === 0 ? { exists: true, gid: Number(res.stdout.split(':')[2]) } : { exists: false }),
      { anyStatus: true },
    ),
  plan(args, found) {
    const header = { beforeHeader: 'groups', afterHeader: 'groups' };
    const state = args.state ?? 'present';
    const result = { name: args.name, state, system: args.system ?? false, ...(found.gid !== undefined ? { gid: found.gid } : {}) };
    const act = (msg: string, argv: string[], before: string, after: string) => ({
      changed: true,
      msg,
      result: { ...result, ...(args.gid !== undefined ? { gid: args.gid } : {}) },
      diff: [{ before, after, ...header }],
      steps: [state === 'absent' ? argvStep(argv) : groupStep(argv, args.name)],
    });
    if (args.non_unique && args.gid === undefined) return { changed: false, failed: true, msg: 'non_unique needs gid' };
    const gid = args.gid !== undefined ? ['-g', String(args.gid), ...(args.non_unique ? ['-o'] : [])] : [];
    if (state === 'absent')
      return found.exists
        ? act('group would be removed', ['groupdel', args.name], `${args.name} gid=${found.gid}\n`, '')
        : { changed: false, msg: 'group already absent', result };
    if (!found.exists)
      return act(
        'group would be created',
        ['groupadd', ...(args.system ? ['-r'] : []), ...gid, args.name],
        '',
        `${args.name}${args.gid !== undefined ? ` gid=${args.gid}` : ''}\n`,
      );
    if (args.gid !== undefined && args.gid !== found.gid)
      return act('gid would change', ['groupmod', ...gid, args.name], `${args.name} gid=${found.gid}\n`, `${args.name} gid=${args.gid}\n`);
    return { changed: false, msg: 'group already as wanted', result };
  },
};
