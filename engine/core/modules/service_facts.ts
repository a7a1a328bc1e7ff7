// service_facts: every service the host's init knows, as the fact `services` (name -> state,
// status, source), as Ansible's service_facts reads systemd (or SysV's service --status-all).
import { quote } from '../connection/quote';
import { type Module, Query } from './types';

type Services = Record<string, { name: string; state: string; status: string; source: string }>;

/** Load states that say more than the active state does (Ansible keeps them as the status). */
const BAD_STATES = ['not-found', 'masked', 'failed'];

/** Ansible looks for systemctl and service in the sbin directories too, not in a user's PATH only. */
const LIST = [
  'PATH=$PATH:/usr/sbin:/sbin',
  'if grep -q systemd /proc/1/comm 2>/dev/null; then echo @systemd',
  '  systemctl list-units --no-pager --plain --no-legend --type service --all',
  '  echo @files; systemctl list-unit-files --no-pager --plain --no-legend --type service',
  'elif command -v service >/dev/null 2>&1; then echo @sysv; service --status-all 2>&1',
  'fi',
].join('\n');

/** The lines of each section the listing printed (@systemd, @files, @sysv). */
function sections(stdout: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let current = '';
  for (const line of stdout.split('\n')) {
    if (line.startsWith('@')) {
      current = line.slice(1);
      out[current] = [];
    } else if (current && line.trim()) out[current].push(line);
  }
  return out;
}

/** Loaded units first: running or stopped, the bad load state or the active state as status. */
function fromUnits(lines: string[]): Services {
  const services: Services = {};
  for (const line of lines.filter((l) => l.includes('.service'))) {
    const [name, load, active, sub] = line.trim().split(/\s+/);
    const status = BAD_STATES.find((bad) => bad === load || bad === active) ?? active;
    services[name] = { name, state: sub === 'running' ? 'running' : 'stopped', status, source: 'systemd' };
  }
  return services;
}

/** SysV's ` [ + ]  name` lines: + running, - stopped, ? unknown. */
function fromSysv(lines: string[]): Services {
  const states: Record<string, string> = { '+': 'running', '-': 'stopped', '?': 'unknown' };
  const services: Services = {};
  for (const line of lines) {
    const m = /^\s*\[\s*([+?-])\s*\]\s+(\S+)/.exec(line);
    if (m) services[m[2]] = { name: m[2], state: states[m[1]], status: 'unknown', source: 'sysv' };
  }
  return services;
}

/**
 * The `services` fact, pure: loaded units with their unit file's state as status (unless it is
 * a bad one), and unit files not loaded with the ActiveState asked for them (`activeStates`).
 */
export function servicesFact(listing: Record<string, string[]>, activeStates: Record<string, string> = {}): Services {
  if (listing.sysv) return fromSysv(listing.sysv);
  const services = fromUnits(listing.systemd ?? []);
  for (const line of (listing.files ?? []).filter((l) => l.includes('.service'))) {
    const [name, status] = line.trim().split(/\s+/);
    if (!services[name]) services[name] = { name, state: activeStates[name] ?? 'unknown', status, source: 'systemd' };
    else if (!BAD_STATES.includes(services[name].status)) services[name].status = status;
  }
  return services;
}

/** Unit files systemd has not loaded: their ActiveState, one line `name state` each. */
function activeStatesQuery(names: string[], listing: Record<string, string[]>): Query<Services> {
  const script = `for u in ${names.map(quote).join(' ')}; do printf '%s %s\\n' "$u" "$(systemctl show "$u" --property=ActiveState --value 2>/dev/null)"; done`;
  return new Query(script, (res) => {
    const states = Object.fromEntries(
      res.stdout
        .split('\n')
        .map((l) => l.split(' '))
        .filter(([name, state]) => name && state),
    );
    return servicesFact(listing, states);
  });
}

export const service_facts: Module<Record<string, never>, Services> = {
  name: 'service_facts',
  schema: {
    type: 'object',
    description:
      'Sets the fact `services`: every service (systemd unit, or SysV script) to its name, state (running, stopped ...), status (enabled, disabled, static, masked ...) and source.',
    properties: {},
    additionalProperties: false,
  },
  probe: () =>
    new Query(
      LIST,
      (res) => {
        const listing = sections(res.stdout);
        const loaded = servicesFact({ systemd: listing.systemd ?? [] });
        const unloaded = (listing.files ?? []).map((l) => l.trim().split(/\s+/)[0]).filter((n) => n.includes('.service') && !loaded[n]);
        return unloaded.length ? activeStatesQuery(unloaded, listing) : servicesFact(listing);
      },
      { what: 'listing services' },
    ),
  plan(_args, services) {
    const facts = { services };
    return { changed: false, msg: '', result: { ansible_facts: facts } };
  },
};
