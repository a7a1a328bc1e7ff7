// shell: run a command line through /bin/sh (pipes, redirections, variables allowed).
import { quote } from '../connection/quote';
import { type CommandArgs, commandProperties, PROBE_VAR, planCommand, probeCommand } from './command';
import type { Module } from './types';

export const shell: Module<CommandArgs> = {
  name: 'shell',
  freeForm: 'cmd',
  taskVars: PROBE_VAR,
  schema: {
    type: 'object',
    description: 'Runs a command line through a shell on the host.',
    properties: {
      ...commandProperties,
      executable: { type: 'string', description: 'Shell to use (default /bin/sh).' },
    },
    required: ['cmd'],
    additionalProperties: false,
  },
  probe: probeCommand,
  plan(args, found) {
    const line = args.executable ? `${quote(args.executable)} -c ${quote(args.cmd!)}` : args.cmd!;
    return planCommand(args, found, line, { shown: args.cmd });
  },
};
