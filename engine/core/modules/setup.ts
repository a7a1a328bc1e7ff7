// setup: gathers host facts in ONE round trip (one shell script, sections parsed here).
import { type Module, Query } from './types';

const SCRIPT = `
echo '## os'; cat /etc/os-release 2>/dev/null
echo '## hostname'; hostname; hostname -f 2>/dev/null || hostname
echo '## cpus'; nproc
echo '## mem'; grep -E '^(MemTotal|MemAvailable):' /proc/meminfo
echo '## mounts'; df -P -k -x tmpfs -x devtmpfs 2>/dev/null | tail -n +2
echo '## disks'; lsblk -b -d -n -o NAME,SIZE,TYPE 2>/dev/null
echo '## addrs'; ip -o addr show 2>/dev/null
echo '## route'; ip -4 route show default 2>/dev/null | head -1
echo '## time'; (timedatectl show -p NTPSynchronized --value 2>/dev/null || (chronyc -n tracking 2>/dev/null | grep -q 'Leap status *: Normal' && echo yes) || echo unknown) | head -1
echo '## init'; [ -d /run/systemd/system ] && echo systemd || echo sysv
echo '## user'; id -un; uname -r; uname -m
`;

function sections(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let current = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('## ')) {
      current = line.slice(3);
      out[current] = [];
    } else if (current && line.trim()) out[current].push(line);
  }
  return out;
}

/** Turns the script's output into Ansible-named facts. */
function parseFacts(text: string): Record<string, unknown> {
  const s = sections(text);
  const os = Object.fromEntries((s.os ?? []).map((l) => l.split('=')).map(([k, ...v]) => [k, v.join('=').replace(/^"|"$/g, '')]));
  const memKb = (key: string) => Number((s.mem ?? []).find((l) => l.startsWith(key))?.split(/\s+/)[1] ?? 0);
  const interfaces: Record<string, { ipv4: string[]; ipv6: string[] }> = {};
  for (const line of s.addrs ?? []) {
    const [, name, family, cidr] = line.split(/\s+/);
    const ifname = name.replace(/@.*$/, '');
    interfaces[ifname] ??= { ipv4: [], ipv6: [] };
    const iface = interfaces[ifname];
    if (family === 'inet') iface.ipv4.push(cidr);
    if (family === 'inet6') iface.ipv6.push(cidr);
  }
  const route = (s.route?.[0] ?? '').split(/\s+/);
  const defaultIface = route.includes('dev') ? route[route.indexOf('dev') + 1] : undefined;
  const defaultCidr = defaultIface ? interfaces[defaultIface]?.ipv4[0] : undefined;
  const [user, kernel, arch] = s.user ?? [];
  const time = (s.time?.[0] ?? 'unknown').trim();
  return {
    distribution: os.NAME?.split(' ')[0] ?? 'unknown',
    distribution_id: os.ID ?? 'unknown',
    distribution_version: os.VERSION_ID ?? 'unknown',
    distribution_major_version: (os.VERSION_ID ?? '').split('.')[0],
    distribution_release: os.VERSION_CODENAME ?? '',
    os_family: os.ID === 'ubuntu' || os.ID === 'debian' || (os.ID_LIKE ?? '').includes('debian') ? 'Debian' : (os.ID ?? 'unknown'),
    hostname: s.hostname?.[0]?.split('.')[0],
    fqdn: s.hostname?.[1],
    nodename: s.hostname?.[0],
    processor_vcpus: Number(s.cpus?.[0] ?? 0),
    memtotal_mb: Math.round(memKb('MemTotal') / 1024),
    memfree_mb: Math.round(memKb('MemAvailable') / 1024),
    // overlay mounts are container layers, except an overlay root (containers, the lab's nodes).
    mounts: (s.mounts ?? [])
      .map((l) => l.split(/\s+/))
      .filter(([device, , , , , mount]) => device !== 'overlay' || mount === '/')
      .map(([device, size, used, avail, , mount]) => {
        return { device, mount, size_total: Number(size) * 1024, size_used: Number(used) * 1024, size_available: Number(avail) * 1024 };
      }),
    devices: Object.fromEntries(
      (s.disks ?? [])
        .map((l) => l.split(/\s+/))
        .filter(([, , type]) => type === 'disk')
        .map(([name, size]) => [name, { size_bytes: Number(size) }]),
    ),
    interfaces: Object.keys(interfaces),
    all_ipv4_addresses: Object.values(interfaces)
      .flatMap((i) => i.ipv4.map((c) => c.split('/')[0]))
      .filter((a) => !a.startsWith('127.')),
    network: interfaces,
    default_ipv4: defaultCidr ? { address: defaultCidr.split('/')[0], prefix: defaultCidr.split('/')[1], interface: defaultIface, gateway: route[2] } : {},
    time_synchronized: time === 'yes' ? true : time === 'no' ? false : null,
    service_mgr: s.init?.[0] ?? 'unknown',
    user_id: user,
    kernel,
    architecture: arch,
  };
}

export const setup: Module<Record<string, never>, Record<string, unknown>> = {
  name: 'setup',
  schema: {
    type: 'object',
    description: 'Gathers facts about the host in one round trip (runs for gather_facts).',
    properties: {},
    additionalProperties: false,
  },
  probe: () => new Query(SCRIPT, (res) => parseFacts(res.stdout), { what: 'gathering facts' }),
  plan: (_args, facts) => ({
    changed: false,
    msg: `${facts.distribution_id} ${facts.distribution_version} on ${facts.hostname}`,
    facts: { ansible_facts: facts },
    result: { ansible_facts: facts },
  }),
};
