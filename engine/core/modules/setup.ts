// setup: gathers host facts in ONE round trip (one shell script, sections parsed here).
import { quote } from '../connection/quote';
import { globRegExp } from '../glob';
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
echo '## user'; id -un; uname -r; uname -m; uname -s; id -u; id -g; echo "$HOME"; echo "$SHELL"; uname -v
echo '## date'; date '+%s %z %Z'
echo '## pkg'; for m in apt-get dnf yum zypper apk pacman; do command -v $m >/dev/null && { echo $m; break; }; done
echo '## selinux'; command -v getenforce >/dev/null && getenforce || echo disabled
echo '## python'; "\${ENGINE_PYTHON:-/usr/bin/python3}" -c 'import sys; v = sys.version_info; print(sys.executable, v[0], v[1], v[2], v[3], v[4])' 2>/dev/null
echo '## env'; env -0 | base64 -w0
`;

/** Facts of each gather_subset Ansible names; `min` is always gathered, as in Ansible. */
const SUBSETS: Record<string, string[]> = {
  min: [
    'distribution',
    'distribution_id',
    'distribution_version',
    'distribution_major_version',
    'distribution_release',
    'os_family',
    'hostname',
    'fqdn',
    'nodename',
    'domain',
    'service_mgr',
    'user_id',
    'user_uid',
    'user_gid',
    'user_dir',
    'user_shell',
    'kernel',
    'kernel_version',
    'architecture',
    'machine',
    'system',
    'userspace_bits',
    'date_time',
    'pkg_mgr',
    'selinux',
    'python',
    'python_version',
    'env',
    'fips',
    'local',
    'time_synchronized',
  ],
  hardware: ['processor_vcpus', 'memtotal_mb', 'memfree_mb', 'mounts', 'devices'],
  network: ['interfaces', 'all_ipv4_addresses', 'network', 'default_ipv4'],
  virtual: [],
};

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
  const [user, kernel, arch, system, uid, gid, home, shell, kernelVersion] = s.user ?? [];
  const python = (s.python?.[0] ?? '').split(' ');
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
    user_uid: Number(uid),
    user_gid: Number(gid),
    user_dir: home,
    user_shell: shell,
    kernel,
    kernel_version: kernelVersion,
    architecture: arch,
    machine: arch,
    system,
    userspace_bits: arch === 'x86_64' || arch === 'aarch64' ? '64' : '32',
    domain: (s.hostname?.[1] ?? '').split('.').slice(1).join('.'),
    date_time: dateTime(s.date?.[0] ?? ''),
    pkg_mgr: (s.pkg?.[0] ?? 'unknown').replace('apt-get', 'apt'),
    selinux: s.selinux?.[0] === 'disabled' ? { status: 'disabled' } : { status: 'enabled', mode: (s.selinux?.[0] ?? '').toLowerCase() },
    ...(python[0]
      ? {
          python: {
            executable: python[0],
            version: { major: Number(python[1]), minor: Number(python[2]), micro: Number(python[3]), releaselevel: python[4], serial: Number(python[5]) },
            version_info: [Number(python[1]), Number(python[2]), Number(python[3]), python[4], Number(python[5])],
            type: 'cpython',
          },
          python_version: `${python[1]}.${python[2]}.${python[3]}`,
        }
      : {}),
    env: Object.fromEntries(
      Buffer.from(s.env?.[0] ?? '', 'base64')
        .toString('utf8')
        .split('\0')
        .filter((e) => e.includes('='))
        .map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
    ),
    fips: false,
    local: {},
  };
}

/** ansible_date_time from the host's epoch and zone (`date '+%s %z %Z'`), as Ansible's fields. */
function dateTime(line: string): Record<string, string> {
  const [epoch, offset, zone] = line.split(' ');
  if (!epoch) return {};
  const minutes = (offset.startsWith('-') ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(3, 5)));
  const at = new Date(Number(epoch) * 1000 + minutes * 60_000);
  const p = (n: number) => String(n).padStart(2, '0');
  const [y, mo, d, h, mi, se] = [at.getUTCFullYear(), at.getUTCMonth() + 1, at.getUTCDate(), at.getUTCHours(), at.getUTCMinutes(), at.getUTCSeconds()];
  const utc = new Date(Number(epoch) * 1000);
  return {
    epoch,
    epoch_int: epoch,
    year: String(y),
    month: p(mo),
    day: p(d),
    hour: p(h),
    minute: p(mi),
    second: p(se),
    date: `${y}-${p(mo)}-${p(d)}`,
    time: `${p(h)}:${p(mi)}:${p(se)}`,
    iso8601: `${utc.toISOString().slice(0, 19)}Z`,
    iso8601_basic_short: `${y}${p(mo)}${p(d)}T${p(h)}${p(mi)}${p(se)}`,
    tz: zone,
    tz_offset: offset,
    weekday: ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'][at.getUTCDay()],
    weekday_number: String(at.getUTCDay()),
  };
}

/** The facts gather_subset asks for (`all`, names, `!name`; `min` always), then filter's globs. */
function selectFacts(facts: Record<string, unknown>, subset: string[] = ['all'], filter: string[] = []): Record<string, unknown> {
  const wanted = new Set(SUBSETS.min);
  const all = Object.keys(SUBSETS).filter((k) => k !== 'min');
  const named = subset.flatMap((s) => (s === 'all' ? all : [s]));
  const excluded = new Set(
    named
      .filter((s) => s.startsWith('!'))
      .map((s) => s.slice(1))
      .flatMap((s) => (s === 'all' ? all : [s])),
  );
  for (const s of named.filter((n) => !n.startsWith('!') && !excluded.has(n))) for (const f of SUBSETS[s] ?? [s]) wanted.add(f);
  const kept = Object.entries(facts).filter(([k]) => wanted.has(k) || !Object.values(SUBSETS).flat().includes(k));
  const globs = filter.map((f) => globRegExp(f.replace(/^ansible_/, '')));
  return Object.fromEntries(kept.filter(([k]) => !globs.length || globs.some((g) => g.test(k)) || globs.some((g) => g.test(`ansible_${k}`))));
}

const asList = (v: unknown): string[] | undefined =>
  v === undefined
    ? undefined
    : Array.isArray(v)
      ? v.map(String)
      : String(v)
          .split(',')
          .map((s) => s.trim());

interface SetupArgs {
  gather_subset?: string | string[];
  filter?: string | string[];
  gather_timeout?: number;
  fact_path?: string;
}

export const setup: Module<SetupArgs, Record<string, unknown>> = {
  name: 'setup',
  freeForm: 'kv',
  schema: {
    type: 'object',
    description: 'Gathers facts about the host in one round trip (runs for gather_facts).',
    properties: {
      gather_subset: {
        type: ['string', 'array'],
        items: { type: 'string' },
        description: 'all, min, hardware, network, virtual, or !name to leave one out (min is always gathered).',
      },
      filter: { type: ['string', 'array'], items: { type: 'string' }, description: 'Only facts whose names match these globs.' },
      gather_timeout: { type: 'integer', description: 'Accepted; the one script has the task timeout.' },
      fact_path: { type: 'string', description: 'Accepted; local facts (facts.d) are not read.' },
    },
    additionalProperties: false,
  },
  probe: (_args, ctx) =>
    new Query(ctx.interpreter ? `ENGINE_PYTHON=${quote(ctx.interpreter)}\n${SCRIPT}` : SCRIPT, (res) => parseFacts(res.stdout), { what: 'gathering facts' }),
  plan: (args, all) => {
    const facts = selectFacts(all, asList(args.gather_subset), asList(args.filter));
    return {
      changed: false,
      msg: `${facts.distribution_id} ${facts.distribution_version} on ${facts.hostname}`,
      facts: { ansible_facts: facts },
      // As the module returns them: names with the ansible_ prefix.
      result: { ansible_facts: Object.fromEntries(Object.entries(facts).map(([k, v]) => [`ansible_${k}`, v])) },
    };
  },
};
