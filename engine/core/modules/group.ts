// group: local groups through groupadd/groupmod/groupdel.
import { quote } from '../connection/quote';
import { type Module, Query } from './types';
import { argvStep } from './util/steps';
import { checkName } from './util/names';

interface GroupArgs {
  name: string;
  state?: 'present' | 'absent';
  gid?: number;
  system?: boolean;
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
    const act = (msg: string, argv: string[], before: string, after: string) => ({
      changed: true,
      msg,
      diff: [{ before, after, ...header }],
      steps: [argvStep(argv)],
    });
    if (args.state === 'absent')
      return found.exists
        ? act('group would be removed', ['groupdel', args.name], `${args.name} gid=${found.gid}\n`, '')
        : { changed: false, msg: 'group already absent' };
    if (!found.exists)
      return act(
        'group would be created',
        ['groupadd', ...(args.system ? ['-r'] : []), ...(args.gid !== undefined ? ['-g', String(args.gid)] : []), args.name],
        '',
        `${args.name}${args.gid !== undefined ? ` gid=${args.gid}` : ''}\n`,
      );
    if (args.gid !== undefined && args.gid !== found.gid)
      return act('gid would change', ['groupmod', '-g', String(args.gid), args.name], `${args.name} gid=${found.gid}\n`, `${args.name} gid=${args.gid}\n`);
    return { changed: false, msg: 'group already as wanted' };
  },
};
