// Command line: parse flags, hand over to the command. No logic of its own.
import { parseArgs } from 'node:util';
import { EXIT, InputError } from './errors';

const HELP = `Usage: engine <command> [options]

Commands:
  run PLAYBOOK        Run a playbook against an inventory
  validate PLAYBOOK   Load and check a playbook, its roles and inventory; change nothing
  schema --write      Regenerate the JSON Schemas in engine/schema/ from the modules
  status [--json]      The cluster: quorum, DC, nodes, every resource and where it runs, failures
  master              The node the PBX runs on
  restart pbx         Stop the PBX through the cluster, wait, start it again
  switchover [--to NODE]  Planned move of the PBX; prints how long SIP was unanswered on the VIP
  verify failover [--mode kill|standby]
                      Takes the active node away (lab: power cut), measures until SIP answers
                      on the VIP again, checks data written before, brings the node back
                      (restart, switchover, verify: --wait SECONDS per cluster transition,
                      default 120; a failed one is undone: exit 2)
  extend run|start|stop|restart|rm|upgrade [-s TYPE] [-a IP] [-n NAME] [--yes]
                      Extended servers (TYPE: media-server-only, queue-server-only,
                      meeting-server-only, ivr-server-only), with --check/--diff like run
  srv check NAME [--server IP[:PORT]] [--draws N]
                      SRV records of NAME as the DNS server serves them: each target's share
                      under RFC 2782 per priority, where the load goes when a target is down,
                      the failover order; checked by simulating many clients
  lab up [--nodes 3] [--extra N] | down | status | kill NODE | start NODE | partition NODE | heal
                      Local test hosts (systemd-nspawn nodes on a bridge with no uplink);
                      'up' writes inventory/lab.yml (or -i FILE)

Options for run and validate:
  -i, --inventory FILE       Inventory (Ansible YAML format); group_vars/ and host_vars/ beside it
  -C, --check                Dry run: probe and plan every task, change nothing
  -D, --diff                 Show what changes (unified diffs for files, before/after otherwise)
  -l, --limit PATTERN        Only these hosts (group, host, a:b, a:!b, a:&b)
  -t, --tags a,b             Only tasks with these tags
      --skip-tags c          Skip tasks with these tags
      --role NAME            Run only this role's tasks (per-role re-runs, e.g. upgrades)
  -e, --extra-vars K=V|@FILE Extra variables (highest precedence); repeatable
  -f, --forks N              Hosts in parallel (default: all hosts of the batch)
      --vault-password-file F  Decrypt ansible-vault (1.1) files and !vault values
  -K, --ask-become-pass      Ask for the sudo password once
      --accept-new-host-keys Record unknown ssh host keys in known_hosts (changed keys are always refused)
      --yes                  Confirm what the roles otherwise refuse (removing an online node from the cluster)
      --json                 One JSON event per line instead of the live view
  -v, --verbose              Show task results (repeat for more)
  -h, --help                 This help

Exit codes: 0 ok, 1 internal error, 2 a host failed, 4 a host was unreachable, 5 bad input, 130 interrupted.`;

const OPTIONS = {
  inventory: { type: 'string', short: 'i' },
  check: { type: 'boolean', short: 'C' },
  diff: { type: 'boolean', short: 'D' },
  limit: { type: 'string', short: 'l' },
  tags: { type: 'string', short: 't', multiple: true },
  'skip-tags': { type: 'string', multiple: true },
  role: { type: 'string' },
  'extra-vars': { type: 'string', short: 'e', multiple: true },
  forks: { type: 'string', short: 'f' },
  'vault-password-file': { type: 'string' },
  'ask-become-pass': { type: 'boolean', short: 'K' },
  'accept-new-host-keys': { type: 'boolean' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v', multiple: true },
  write: { type: 'boolean' },
  nodes: { type: 'string' },
  extra: { type: 'string' },
  to: { type: 'string' },
  server: { type: 'string' },
  'server-type': { type: 'string', short: 's' },
  address: { type: 'string', short: 'a' },
  name: { type: 'string', short: 'n' },
  yes: { type: 'boolean' },
  draws: { type: 'string' },
  mode: { type: 'string' },
  wait: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message.split('\n')[0]}\nRun 'engine --help' for usage.\n`);
    return EXIT.badInput;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${HELP}\n`);
    return command || values.help ? EXIT.ok : EXIT.badInput;
  }
  try {
    const commands = await import('./commands');
    switch (command) {
      case 'run':
        return await commands.runCommand(rest, values);
      case 'validate':
        return await commands.validateCommand(rest, values);
      case 'schema':
        return commands.schemaCommand(values);
      case 'status':
      case 'master':
      case 'restart':
      case 'switchover':
      case 'verify':
        return await (await import('./ops')).opsCommand(command, rest, { inventory: values.inventory, json: values.json, to: values.to, mode: values.mode, wait: values.wait });
      case 'extend':
        return await (await import('./ops/extend')).extendCommand(rest, values);
      case 'srv':
        return await (await import('./ops/srv')).srvCommand(rest, { server: values.server, draws: values.draws, json: values.json });
      case 'lab':
        return await (await import('./lab')).labCommand(rest, { nodes: values.nodes, extra: values.extra, inventory: values.inventory });
      default:
        throw new InputError(`unknown command '${command}' (run, validate, schema, status, master, restart, switchover, verify, extend, srv, lab)`);
    }
  } catch (err) {
    if (err instanceof InputError) {
      process.stderr.write(`error: ${err.describe()}\n`);
      return EXIT.badInput;
    }
    throw err;
  }
}

export type CliValues = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];
