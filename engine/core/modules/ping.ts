// ping: one round trip to the host that proves it answers commands (not ICMP), as Ansible's
// ping; `data` comes back as `ping`, and data=crash fails, as Ansible's does to test failures.
import { type Module, Query } from './types';

interface PingArgs {
  data?: string;
}

export const ping: Module<PingArgs, boolean> = {
  name: 'ping',
  freeForm: 'kv',
  schema: {
    type: 'object',
    description: "Runs one command on the host and returns `ping: pong` (or the data given): the host answers. data=crash fails the task, as Ansible's.",
    properties: { data: { type: 'string', description: "What comes back as `ping` (default 'pong'); 'crash' fails the task." } },
    additionalProperties: false,
  },
  probe: () => new Query('echo pong', (res) => res.stdout.trim() === 'pong', { what: 'ping' }),
  plan(args, answered) {
    const data = args.data ?? 'pong';
    if (!answered) return { changed: false, failed: true, msg: 'the host ran the command but did not answer pong' };
    // Ansible's ping raises Exception('boom') here; its failure carries the module's output.
    if (data === 'crash')
      return { changed: false, failed: true, msg: 'MODULE FAILURE', result: { module_stdout: '', module_stderr: 'Exception: boom\n', rc: 1 } };
    return { changed: false, msg: data, result: { ping: data } };
  },
};
