// hostname: the running host name and /etc/hostname.
import { quote } from '../connection/quote';
import { type Module, Query } from './types';
import { runStep } from './util/steps';
import { checkName } from './util/names';

export const hostname: Module<{ name: string }, { running: string; file: string; systemd: boolean }> = {
  name: 'hostname',
  freeForm: 'kv',
  schema: {
    type: 'object',
    description: 'Sets the host name, both the running one and /etc/hostname.',
    properties: { name: { type: 'string', description: 'The host name.' } },
    required: ['name'],
    additionalProperties: false,
  },
  probe: () =>
    new Query('hostname; cat /etc/hostname 2>/dev/null | head -1; [ -d /run/systemd/system ] && echo systemd || echo none', (res) => {
      const [running, file, manager] = res.stdout.split('\n');
      return { running, file, systemd: manager === 'systemd' };
    }),
  plan(args, found) {
    if (found.running === args.name && found.file === args.name) return { changed: false, msg: `hostname already ${args.name}` };
    const n = quote(checkName(args.name, 'host name'));
    const command = found.systemd ? `hostnamectl set-hostname ${n}` : `printf '%s\\n' ${n} > /etc/hostname && hostname ${n}`;
    return {
      changed: true,
      msg: `hostname ${found.running} -> ${args.name}`,
      diff: [{ before: `${found.running}\n`, after: `${args.name}\n`, beforeHeader: 'hostname', afterHeader: 'hostname' }],
      steps: [runStep(command)],
    };
  },
};
