// service: start/stop/restart/reload and enable/disable, with systemd or with SysV init scripts
// on hosts that do not run systemd (containers, minimal images).
import { quote } from '../connection/quote';
import { type Module, Query } from './types';
import { runStep } from './util/steps';
import { checkName } from './util/names';

interface ServiceArgs {
  name: string;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  enabled?: boolean;
  daemon_reload?: boolean;
}

interface Found {
  manager: 'systemd' | 'sysv';
  active: boolean;
  enabled: boolean;
  exists: boolean;
}

/** Parses the probe's four lines: manager, active, enabled, exists. */
function parseService(stdout: string): Found {
  const [manager, active, enabled, exists] = stdout.trim().split('\n');
  return {
    manager: manager as Found['manager'],
    active: active === 'active',
    enabled: ['enabled', 'enabled-runtime', 'static', 'alias'].includes(enabled),
    exists: exists === 'exists',
  };
}

function probeService(args: ServiceArgs): Query<Found> {
  const n = quote(checkName(args.name, 'service name'));
  const script = [
    `if [ -d /run/systemd/system ]; then echo systemd`,
    `  systemctl is-active --quiet ${n} && echo active || echo inactive`,
    `  e=$(systemctl is-enabled ${n} 2>/dev/null); echo "\${e:-missing}"`,
    `  systemctl cat ${n} >/dev/null 2>&1 && echo exists || echo missing`,
    `else echo sysv`,
    `  service ${n} status >/dev/null 2>&1 && echo active || echo inactive`,
    `  ls /etc/rc2.d/S??${n} >/dev/null 2>&1 && echo enabled || echo disabled`,
    `  [ -x /etc/init.d/${n} ] && echo exists || echo missing`,
    `fi`,
  ].join('\n');
  return new Query(script, (res) => parseService(res.stdout), { what: `looking at service ${args.name}` });
}

function commandFor(found: Found, name: string, action: string): string {
  const n = quote(name);
  if (found.manager === 'systemd') return `systemctl ${action} ${n}`;
  if (action === 'enable') return `update-rc.d ${n} defaults && update-rc.d ${n} enable`;
  if (action === 'disable') return `update-rc.d ${n} disable`;
  return `service ${n} ${action}`;
}

export const service: Module<ServiceArgs, Found> = {
  name: 'service',
  freeForm: 'kv',
  schema: {
    type: 'object',
    description: 'Controls a service through systemd, or SysV init scripts where systemd is not running.',
    properties: {
      name: { type: 'string', description: 'Service (unit) name.' },
      state: { enum: ['started', 'stopped', 'restarted', 'reloaded'], description: 'started/stopped are idempotent; restarted/reloaded always act.' },
      enabled: { type: 'boolean', description: 'Start at boot.' },
      daemon_reload: { type: 'boolean', description: 'Run systemctl daemon-reload first (systemd only).' },
    },
    required: ['name'],
    additionalProperties: false,
  },
  probe: probeService,
  plan(args, found) {
    if (!found.exists) return { changed: false, failed: true, msg: `service ${args.name} not found (${found.manager})` };
    const actions: string[] = [];
    if (args.enabled === true && !found.enabled) actions.push('enable');
    if (args.enabled === false && found.enabled) actions.push('disable');
    if (args.state === 'started' && !found.active) actions.push('start');
    if (args.state === 'stopped' && found.active) actions.push('stop');
    if (args.state === 'restarted') actions.push('restart');
    if (args.state === 'reloaded') actions.push(found.active ? 'reload' : 'start');
    const before = `${args.name}: ${found.active ? 'running' : 'stopped'}, ${found.enabled ? 'enabled' : 'disabled'}\n`;
    const running = actions.includes('stop') ? false : actions.some((a) => ['start', 'restart', 'reload'].includes(a)) || found.active;
    const enabled = actions.includes('enable') ? true : actions.includes('disable') ? false : found.enabled;
    const after = `${args.name}: ${running ? 'running' : 'stopped'}, ${enabled ? 'enabled' : 'disabled'}${actions.includes('restart') ? ' (restarted)' : ''}\n`;
    const result = { name: args.name, state: running ? 'started' : 'stopped', enabled, status: { manager: found.manager } };
    if (!actions.length)
      return {
        changed: false,
        msg: `already ${found.active ? 'running' : 'stopped'}${args.enabled !== undefined ? `, ${found.enabled ? 'enabled' : 'disabled'}` : ''}`,
        result,
      };
    return {
      changed: true,
      msg: `would ${actions.join(', ')}`,
      diff: [{ before, after, beforeHeader: `service ${args.name}`, afterHeader: `service ${args.name}` }],
      result,
      steps: [
        ...(args.daemon_reload && found.manager === 'systemd' ? [runStep('systemctl daemon-reload')] : []),
        ...actions.map((action) => runStep(commandFor(found, args.name, action))),
      ],
    };
  },
};
