// service (and systemd_service): start/stop/restart/reload, enable/disable and mask/unmask, in the
// system's, a user's or the global scope, with systemd; with SysV init scripts on hosts that do
// not run systemd (containers, minimal images).
import { quote } from '../connection/quote';
import { type Module, type Outcome, Query } from './types';
import { checkName } from './util/names';
import { runStep } from './util/steps';

interface ServiceArgs {
  name?: string;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  enabled?: boolean;
  masked?: boolean;
  daemon_reload?: boolean;
  daemon_reexec?: boolean;
  scope?: 'system' | 'user' | 'global';
  no_block?: boolean;
  force?: boolean;
}

interface Found {
  manager: 'systemd' | 'sysv';
  active: boolean;
  enabled: boolean;
  masked: boolean;
  exists: boolean;
  /** The unit's properties (systemctl show), as Ansible's systemd returns them in `status`. */
  properties: Record<string, string>;
}

/** systemctl in the task's scope; a user's needs its runtime directory, as Ansible sets it. */
function systemctl(args: ServiceArgs): string {
  if (args.scope === 'user') return 'XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/run/user/$(id -u)} systemctl --user';
  return args.scope === 'global' ? 'systemctl --global' : 'systemctl';
}

/** Parses the probe: manager, active, enablement, exists, then the unit's properties. */
function parseService(stdout: string): Found {
  const [manager, active, enabled, exists, ...shown] = stdout.trim().split('\n');
  const properties = Object.fromEntries(shown.filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  return {
    manager: manager as Found['manager'],
    active: active === 'active',
    enabled: ['enabled', 'enabled-runtime', 'static', 'alias'].includes(enabled),
    masked: enabled === 'masked' || enabled === 'masked-runtime',
    // A masked unit is still a unit: `systemctl cat` fails for one linked to /dev/null.
    exists: exists === 'exists' || enabled === 'masked' || enabled === 'masked-runtime',
    properties,
  };
}

function probeService(args: ServiceArgs): Query<Found> {
  const n = quote(checkName(args.name ?? '', 'service name'));
  const ctl = systemctl(args);
  // The global scope has no running units: only the unit files' state is there to read.
  const activeTest = args.scope === 'global' ? 'echo inactive' : `${ctl} is-active --quiet ${n} && echo active || echo inactive`;
  const script = [
    `if [ -d /run/systemd/system ]; then echo systemd`,
    `  ${activeTest}`,
    `  e=$(${ctl} is-enabled ${n} 2>/dev/null); echo "\${e:-missing}"`,
    `  ${ctl} cat ${n} >/dev/null 2>&1 && echo exists || echo missing`,
    args.scope === 'global' ? '  true' : `  ${ctl} show ${n} --no-pager 2>/dev/null`,
    `else echo sysv`,
    `  service ${n} status >/dev/null 2>&1 && echo active || echo inactive`,
    `  ls /etc/rc2.d/S??${n} >/dev/null 2>&1 && echo enabled || echo disabled`,
    `  [ -x /etc/init.d/${n} ] && echo exists || echo missing`,
    `fi`,
  ].join('\n');
  return new Query(script, (res) => parseService(res.stdout), { what: `looking at service ${args.name}` });
}

function commandFor(found: Found, args: ServiceArgs, action: string): string {
  const n = quote(args.name ?? '');
  if (found.manager === 'systemd') {
    const options = [
      args.no_block && ['start', 'stop', 'restart', 'reload'].includes(action) ? '--no-block' : '',
      args.force && action === 'enable' ? '--force' : '',
    ]
      .filter(Boolean)
      .map((o) => ` ${o}`)
      .join('');
    return `${systemctl(args)} ${action}${options} ${n}`;
  }
  if (action === 'enable') return `update-rc.d ${n} defaults && update-rc.d ${n} enable`;
  if (action === 'disable') return `update-rc.d ${n} disable`;
  return `service ${n} ${action}`;
}

/** What to do, in Ansible's order: mask/unmask, then enable/disable, then the running state. */
function actionsFor(args: ServiceArgs, found: Found): string[] {
  const actions: string[] = [];
  if (args.masked === true && !found.masked) actions.push('mask');
  if (args.masked === false && found.masked) actions.push('unmask');
  if (args.enabled === true && !found.enabled) actions.push('enable');
  if (args.enabled === false && found.enabled) actions.push('disable');
  if (args.state === 'started' && !found.active) actions.push('start');
  if (args.state === 'stopped' && found.active) actions.push('stop');
  if (args.state === 'restarted') actions.push('restart');
  if (args.state === 'reloaded') actions.push(found.active ? 'reload' : 'start');
  return actions;
}

/** What the arguments ask that this host's manager or scope cannot do, in words. */
function refusal(args: ServiceArgs, found: Found): string | undefined {
  if (found.manager === 'sysv' && (args.masked !== undefined || (args.scope ?? 'system') !== 'system'))
    return `masked and scope need systemd; ${args.name} is a SysV service here`;
  if (args.scope === 'global' && args.state !== undefined) return 'state cannot be set in the global scope (only enabled and masked)';
  if (!found.exists && args.masked !== true) return `service ${args.name} not found (${found.manager})`;
  return undefined;
}

function describeState(name: string, running: boolean, enabled: boolean, masked: boolean): string {
  return `${name}: ${running ? 'running' : 'stopped'}, ${masked ? 'masked' : enabled ? 'enabled' : 'disabled'}`;
}

function planService(args: ServiceArgs, found: Found): Outcome {
  const reloads = [...(args.daemon_reexec ? ['daemon-reexec'] : []), ...(args.daemon_reload ? ['daemon-reload'] : [])];
  // As Ansible's: the reload is made first, and is a change of its own only without a unit.
  const reloadSteps = found.manager === 'systemd' ? reloads.map((r) => runStep(`${systemctl(args)} ${r}`)) : [];
  if (args.name === undefined) {
    if (!reloads.length) return { changed: false, failed: true, msg: 'one of state, enabled, masked, daemon_reload or daemon_reexec is required' };
    return { changed: true, msg: `would ${reloads.join(', ')}`, steps: reloadSteps };
  }
  const refused = refusal(args, found);
  if (refused) return { changed: false, failed: true, msg: refused };
  const actions = actionsFor(args, found);
  const running = actions.includes('stop') ? false : actions.some((a) => ['start', 'restart', 'reload'].includes(a)) || found.active;
  const enabled = actions.includes('enable') ? true : actions.includes('disable') ? false : found.enabled;
  const masked = actions.includes('mask') ? true : actions.includes('unmask') ? false : found.masked;
  const status = found.manager === 'systemd' ? found.properties : { manager: found.manager };
  const result = { name: args.name, state: running ? 'started' : 'stopped', enabled, status };
  if (!actions.length)
    return {
      changed: false,
      msg: `already ${found.active ? 'running' : 'stopped'}${args.enabled !== undefined || args.masked !== undefined ? `, ${found.masked ? 'masked' : found.enabled ? 'enabled' : 'disabled'}` : ''}`,
      result,
      steps: reloadSteps.length ? reloadSteps : undefined,
    };
  const header = `service ${args.name}`;
  return {
    changed: true,
    msg: `would ${actions.join(', ')}`,
    diff: [
      {
        before: `${describeState(args.name, found.active, found.enabled, found.masked)}\n`,
        after: `${describeState(args.name, running, enabled, masked)}${actions.includes('restart') ? ' (restarted)' : ''}\n`,
        beforeHeader: header,
        afterHeader: header,
      },
    ],
    result,
    steps: [...reloadSteps, ...actions.map((action) => runStep(commandFor(found, args, action)))],
  };
}

export const service: Module<ServiceArgs, Found> = {
  name: 'service',
  freeForm: 'kv',
  argAliases: { unit: 'name', service: 'name', 'daemon-reload': 'daemon_reload', 'daemon-reexec': 'daemon_reexec' },
  schema: {
    type: 'object',
    description:
      'Controls a service through systemd (system, user or global scope; masking too), or SysV init scripts where systemd is not running. ansible.builtin.systemd_service and systemd are this module.',
    properties: {
      name: { type: 'string', description: 'Service (unit) name; may be left out for daemon_reload or daemon_reexec alone.' },
      state: { enum: ['started', 'stopped', 'restarted', 'reloaded'], description: 'started/stopped are idempotent; restarted/reloaded always act.' },
      enabled: { type: 'boolean', description: 'Start at boot.' },
      masked: { type: 'boolean', description: 'Masked (linked to /dev/null: cannot be started) or not (systemd only).' },
      daemon_reload: { type: 'boolean', description: 'Run systemctl daemon-reload first (systemd only).' },
      daemon_reexec: { type: 'boolean', description: 'Run systemctl daemon-reexec first (systemd only).' },
      scope: { enum: ['system', 'user', 'global'], description: "systemd's instance: system (default), the login user's, or global (enabled/masked only)." },
      no_block: { type: 'boolean', description: 'Queue start/stop/restart/reload without waiting for them (systemctl --no-block).' },
      force: { type: 'boolean', description: 'enable replaces conflicting links (systemctl enable --force).' },
    },
    additionalProperties: false,
  },
  probe: (args) =>
    args.name === undefined ? new Query('[ -d /run/systemd/system ] && echo systemd || echo sysv', (res) => parseService(res.stdout)) : probeService(args),
  plan: planService,
};
