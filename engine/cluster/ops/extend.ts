// `engine extend run|start|stop|restart|rm|upgrade [-s TYPE] [-a IP] [-n NAME]`: PortSIP's
// extend.sh interface, mapped onto playbooks/extend.yml with a limit and extend_action, so
// --check and --diff work for every action. rm asks before removing unless --yes.
import { createInterface } from 'node:readline/promises';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../paths';
import type { Flags } from '../../core/command';
import { InputError } from '../../core/errors';
import { hostsOfGroup, inventoryVars, loadInventoryAsync } from '../../core/load/inventory';

const ACTIONS = ['run', 'start', 'stop', 'restart', 'rm', 'upgrade'];
const TYPES: Record<string, string> = {
  'media-server-only': 'media_servers',
  'queue-server-only': 'queue_servers',
  'meeting-server-only': 'meeting_servers',
  'ivr-server-only': 'ivr_servers',
};

async function confirmed(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(question);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

export async function extendCommand(args: string[], flags: Flags): Promise<number> {
  const [action, extra] = args;
  if (!ACTIONS.includes(action ?? '') || extra)
    throw new InputError(`usage: engine extend ${ACTIONS.join('|')} [-s ${Object.keys(TYPES).join('|')}] [-a IP] [-n NAME]`);
  const type = flags.string('server-type');
  const address = flags.string('address');
  const name = flags.string('name');
  if (type && !TYPES[type]) throw new InputError(`-s ${type}: one of ${Object.keys(TYPES).join(', ')}`);
  const inventory = await loadInventoryAsync(flags.string('inventory'));
  const groups = type ? [TYPES[type]] : Object.values(TYPES);
  const hosts = inventory.hosts
    .filter((h) => groups.some((g) => hostsOfGroup(inventory, g).has(h)))
    .filter((h) => {
      const vars = inventoryVars(inventory, h);
      return (!address || String(vars.ansible_host ?? h) === address) && (!name || vars.server_name === name);
    });
  if (!hosts.length)
    throw new InputError(`no extended server matches${type ? ` -s ${type}` : ''}${address ? ` -a ${address}` : ''}${name ? ` -n ${name}` : ''}`);
  if (
    action === 'rm' &&
    !flags.bool('check') &&
    !flags.bool('yes') &&
    !(await confirmed(`remove the extended server container on ${hosts.join(', ')}? [y/N] `))
  ) {
    throw new InputError(`rm removes the servers on ${hosts.join(', ')}: confirm on a terminal or pass --yes`);
  }
  const { runCommand } = await import('../../core/commands');
  const playbook = join(PROJECT_ROOT, 'playbooks/extend.yml');
  return runCommand([playbook], flags.with({ limit: hosts.join(','), 'extra-vars': [...flags.list('extra-vars'), `extend_action=${action}`] }));
}
