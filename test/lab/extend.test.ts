// Extended servers on lab nodes next to a deployed PBX cluster: the validation rules, then
// run/start/stop/restart/rm/upgrade by type, address and name, with the real container state on
// the nodes checked after each, and the PBX's side: the servers registered through its API, its
// built-in media/queue/meeting/IVR servers off while extended ones serve (IM stays), on again
// before the last one of a kind stops or leaves, and those settings kept through a switchover.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sipOptions } from '../../engine/cluster/sip/options';
import { changedTasks, engine, recap } from '../helpers/engine';
import { onTerminal } from '../helpers/output';
import { labVars, newLabDir, onNode as onLabNode, removeLab, takeDownStaleLabs } from '../helpers/lab';

const LAB = newLabDir();
const env = { PBX_LAB_DIR: LAB };
const LAB_INVENTORY = join(LAB, 'lab.yml');
const ROOT = resolve(__dirname, '../..');
const VIP = '172.31.16.130';
const API = `http://${VIP}:8887/cgi-bin/api`;
const TOKEN = readFileSync(join(ROOT, 'inventory/lab-vars.yml'), 'utf8').match(/^pbx_api_token: (.*)$/m)![1];
// The stand-in PBX's built-in servers listen on these loopback ports of the active node.
const BUILTIN = { media: 8894, queue: 8895, meeting: 8896, ivr: 8897, im: 8898 };
const SERVERS = [
  { host: 'ext01', ip: '172.31.16.150', group: 'media_servers', name: 'media1', type: 'media-server-only' },
  { host: 'ext02', ip: '172.31.16.151', group: 'queue_servers', name: 'queue1', type: 'queue-server-only' },
  { host: 'ext03', ip: '172.31.16.152', group: 'meeting_servers', name: 'meeting1', type: 'meeting-server-only' },
  { host: 'ext04', ip: '172.31.16.153', group: 'ivr_servers', name: 'ivr1', type: 'ivr-server-only' },
];

const onNode = (node: string, command: string) => onLabNode(LAB, node, command);

/** The PBX's registry of one kind, as its REST API lists it. */
async function registry(
  collection: string,
  token = TOKEN,
): Promise<{ name: string; type: string; enabled: boolean; status: string; max_concurrent_sessions: number | null }[]> {
  const res = await fetch(`${API}/${collection}`, { headers: { Authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET ${collection}: ${res.status}`);
  return ((await res.json()) as { items: [] }).items;
}

async function activeNode(): Promise<string> {
  const res = await engine(['master', '-i', LAB_INVENTORY], env);
  expect(res.code, res.stderr).toBe(0);
  return res.stdout.trim();
}

/** Built-in servers listening on the active node, once they settle (the PBX applies its settings within a second). */
async function builtinServers(expected: string[]): Promise<string[]> {
  const node = await activeNode();
  let seen: string[] = [];
  for (const deadline = Date.now() + 8000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 300))) {
    const ports = onNode(node, 'ss -Hltn')
      .split('\n')
      .map((l) => Number(l.split(/\s+/)[3]?.split(':').pop()));
    seen = Object.entries(BUILTIN)
      .filter(([, port]) => ports.includes(port))
      .map(([kind]) => kind);
    if (seen.join() === expected.join()) break;
  }
  return seen;
}

const running = (node: string) => onNode(node, 'docker ps -q --filter name=^pbx-extend$ --filter status=running').trim() !== '';
const imageOf = (node: string) => onNode(node, "docker inspect -f '{{.Config.Image}}' pbx-extend 2>/dev/null || echo none").trim();

/** An inventory of the four extended servers; `edit` changes the YAML text for a failing case. */
function inventory(file: string, vars: string, edit: (text: string) => string = (t) => t): string {
  const lab = readFileSync(LAB_INVENTORY, 'utf8');
  const key = lab.match(/ansible_ssh_private_key_file: (.*)/)![1];
  const args = lab.match(/ansible_ssh_common_args: (.*)/)![1];
  const groups = SERVERS.map(
    (s) =>
      `    ${s.group}:\n      hosts:\n        ${s.host}: { ansible_host: ${s.ip}, server_name: ${s.name}${s.host === 'ext01' ? ', max_call_sessions: 6000' : ''} }`,
  ).join('\n');
  const path = join(LAB, file);
  writeFileSync(
    path,
    edit(
      `all:\n  vars:\n    ansible_user: root\n    ansible_ssh_private_key_file: ${key}\n    ansible_ssh_common_args: ${args}\n    site_vars: ${vars}\n  children:\n${groups}\n`,
    ),
  );
  return path;
}

const siteVars = (file: string, extra: string) => labVars(LAB, file, (t) => t + extra);

let INVENTORY: string;
const extend = (...args: string[]) => engine(['extend', ...args, '-i', INVENTORY], env);

beforeAll(async () => {
  await takeDownStaleLabs(LAB);
  const up = await engine(['lab', 'up', '--nodes', '3', '--extra', '4', '-i', LAB_INVENTORY], env);
  expect(up.code, up.stderr).toBe(0);
  const deploy = await engine(['run', join(ROOT, 'playbooks/deploy.yml'), '-i', LAB_INVENTORY], env);
  expect(deploy.code, deploy.stdout.slice(-2000)).toBe(0);
  // The lab nodes share this machine's disk and its PostgreSQL packages: waived knowingly here,
  // and proven to be caught in the validation test below.
  INVENTORY = inventory('extend.yml', siteVars('vars.yml', 'extend_skip_checks: [postgresql]\nextend_min_disk_gb: 1\nextend_min_disk_gb_media_recording: 1\n'));
}, 360_000);

afterAll(() => removeLab(LAB), 120_000);

describe('extended servers', () => {
  it('refuses before anything runs: a server with two roles, a duplicate name or address, too little disk (also for recording), another OS version, an installed PostgreSQL', async () => {
    const strict = siteVars('strict.yml', 'extend_min_disk_gb: 100000\n');
    const recording = siteVars('recording-vars.yml', 'extend_min_disk_gb: 1\nextend_min_disk_gb_media_recording: 100000\n');
    const otherOs = siteVars('other-os-vars.yml', 'extend_min_disk_gb: 1\n');
    writeFileSync(otherOs, readFileSync(otherOs, 'utf8').replace('preflight_os: { id: Debian, version: "12" }', 'preflight_os: { id: Debian, version: "11" }'));
    const site = join(LAB, 'vars.yml');
    const cases: [string, string, (t: string) => string, RegExp][] = [
      [
        'two-roles.yml',
        site,
        (t) => t.replace('    queue_servers:\n      hosts:\n', '    queue_servers:\n      hosts:\n        ext01: {}\n'),
        /ext01 is in media_servers and queue_servers: one role per server/,
      ],
      [
        'dup-name.yml',
        site,
        (t) => t.replace('server_name: queue1', 'server_name: media1'),
        /ext02: server_name 'media1' is missing or used by another extended server/,
      ],
      [
        'dup-address.yml',
        site,
        (t) => t.replace('ansible_host: 172.31.16.151', 'ansible_host: 172.31.16.150'),
        /ext02: address 172\.31\.16\.150 is used by another extended server/,
      ],
      ['disk.yml', strict, (t) => t, /ext03: \/ has [\d.]+ GB; a meeting-server-only needs 100000 GB/],
      [
        'recording.yml',
        recording,
        (t) => t.replace('server_name: media1', 'server_name: media1, recording: true'),
        /ext01: \/ has [\d.]+ GB; a media-server-only needs 100000 GB/,
      ],
      ['other-os.yml', otherOs, (t) => t, /ext01 runs Debian 12; the PBX nodes run Debian 11/],
      [
        'no-sudo.yml',
        site,
        (t) => t.replace('ext01: { ansible_host', 'ext01: { ansible_user: nosudo, ansible_host'),
        /fatal: \[ext01\]: FAILED! => \{"msg":"non-zero return code 1","cmd":\["sudo","-n","true"\][^\n]*a password is required/,
      ],
    ];
    // A login user that may not use sudo, with the lab's key.
    onNode(
      'ext01',
      'id nosudo >/dev/null 2>&1 || useradd -m -s /bin/sh nosudo; usermod -p "*" nosudo; install -d -o nosudo -m 700 /home/nosudo/.ssh; install -o nosudo -m 600 /root/.ssh/authorized_keys /home/nosudo/.ssh/authorized_keys',
    );
    for (const [file, vars, edit, message] of cases) {
      const run = await engine(['extend', 'run', '--check', '-i', inventory(file, vars, edit)], env);
      expect(run.code, `${file}: ${run.stdout.slice(-1500)}`).toBe(2);
      expect(run.stdout).toMatch(message);
    }
    // An installed PostgreSQL package (a stub, so the rule is proven whatever this machine has).
    const stub = join(LAB, 'postgresql-stub');
    execFileSync('sh', [
      '-c',
      `mkdir -p ${stub}/DEBIAN && printf 'Package: postgresql-stub\\nVersion: 1\\nArchitecture: all\\nMaintainer: lab <lab@localhost>\\nDescription: stands for PostgreSQL\\n' > ${stub}/DEBIAN/control`,
    ]);
    execFileSync('dpkg-deb', ['--build', '--root-owner-group', stub, `${stub}.deb`], { stdio: 'ignore' });
    const pkg = (state: string) =>
      engine(
        [
          'run',
          join(ROOT, 'test/fixtures/local-deb.yml'),
          '-i',
          LAB_INVENTORY,
          '--limit',
          'ext01',
          '-e',
          `deb=${stub}.deb`,
          '-e',
          `name=postgresql-stub`,
          '-e',
          `want=${state}`,
        ],
        env,
      );
    expect((await pkg('present')).code).toBe(0);
    try {
      const inv = inventory('pg.yml', siteVars('pg-vars.yml', 'extend_min_disk_gb: 1\n'));
      const run = await engine(['extend', 'run', '--check', '-i', inv], env);
      expect(run.code).toBe(2);
      expect(run.stdout).toMatch(/ext01: PostgreSQL is installed \((postgresql[^,)]*, )*postgresql-stub/);
    } finally {
      expect((await pkg('absent')).code).toBe(0);
    }
    for (const s of SERVERS) expect(onNode(s.host, 'docker ps -aq --filter name=^pbx-extend$ 2>/dev/null || true').trim()).toBe('');
  }, 240_000);

  it('run starts every server pointed at the VIP; a second run changes nothing; a media server above 5000 sessions is warned about', async () => {
    // The dry run first: it shows the registrations and the four built-in servers going off, and does nothing.
    const preview = await extend('run', '--check', '--diff');
    expect(preview.code, preview.stdout.slice(-3000)).toBe(0);
    expect(preview.stdout).toContain('+name: "media1"\n+ipv4: "172.31.16.150"');
    expect(preview.stdout.match(/-enabled: true\n\+enabled: false/g)?.length).toBe(4);
    expect((await registry('media_servers')).map((i) => i.type)).toEqual(['DEFAULT']);
    for (const s of SERVERS) expect(onNode(s.host, 'docker ps -aq --filter name=^pbx-extend$ 2>/dev/null || true').trim(), s.host).toBe('');

    const run = await extend('run');
    expect(run.code, run.stdout.slice(-3000)).toBe(0);
    expect(changedTasks(run.stdout)).toEqual(changedTasks(preview.stdout));
    expect(run.stdout).toContain('warning: [ext01] => {"msg":"ext01: max_call_sessions 6000 is above 5000');
    expect(recap(run.stdout).ext01.warnings).toBe(1);
    for (const s of SERVERS) {
      expect(running(s.host), s.host).toBe(true);
      expect(await sipOptions(s.ip, 5060, 1000)).toBe(`SIP/2.0 200 OK ${s.name} ${s.type} for 172.31.16.130`);
    }
    const again = await extend('run');
    for (const [host, st] of Object.entries(
      recap(
        again.stdout,
        SERVERS.map((s) => s.host),
      ),
    ))
      expect(st.changed, host).toBe(0);
  }, 180_000);

  it('registers every server with the PBX under its name, ONLINE; the PBX runs only its IM server of the built-in ones; the API wants its token', async () => {
    const collections = { media: 'media_servers', queue: 'call_queue_servers', meeting: 'conference_servers', ivr: 'ivr_servers' };
    for (const [kind, collection] of Object.entries(collections)) {
      const items = await registry(collection);
      const server = SERVERS.find((s) => s.type.startsWith(kind))!;
      expect(
        items.filter((i) => i.type === 'EXTENDED').map((i) => [i.name, i.status]),
        kind,
      ).toEqual([[server.name, 'ONLINE']]);
      expect(items.find((i) => i.type === 'DEFAULT')).toMatchObject({ enabled: false, status: 'DISABLED' });
    }
    expect((await registry('media_servers')).find((i) => i.name === 'media1')?.max_concurrent_sessions).toBe(6000);
    expect(await builtinServers(['im'])).toEqual(['im']);
    await expect(registry('media_servers', 'wrong-token')).rejects.toThrow('401');
  }, 60_000);

  it('pbx_builtin_servers: keep turns the built-in servers back on and leaves them on, extended servers ONLINE or not', async () => {
    const keepVars = labVars(
      LAB,
      'keep-vars.yml',
      (t) =>
        `${t.replace('pbx_builtin_servers: auto', 'pbx_builtin_servers: keep')}extend_skip_checks: [postgresql]\nextend_min_disk_gb: 1\nextend_min_disk_gb_media_recording: 1\n`,
    );
    const keep = await engine(['extend', 'run', '-i', inventory('keep.yml', keepVars)], env);
    expect(keep.code, keep.stdout.slice(-2000)).toBe(0);
    expect(await builtinServers(['media', 'queue', 'meeting', 'ivr', 'im'])).toEqual(['media', 'queue', 'meeting', 'ivr', 'im']);
    // Back to the guide's auto: off again while the extended servers serve.
    const auto = await extend('run');
    expect(auto.code, auto.stdout.slice(-2000)).toBe(0);
    expect(await builtinServers(['im'])).toEqual(['im']);
  }, 120_000);

  it('a changed server setting shows under --check --diff and changes nothing until applied', async () => {
    const lower = inventory('lower.yml', join(LAB, 'vars.yml'), (t) => t.replace('max_call_sessions: 6000', 'max_call_sessions: 4000'));
    const check = await engine(['extend', 'run', '-a', '172.31.16.150', '--check', '--diff', '-i', lower], env);
    expect(check.code, check.stdout.slice(-2000)).toBe(0);
    expect(check.stdout).toMatch(
      /--- media server media1\n\+\+\+ media server media1\n@@[^\n]*\n-max_concurrent_sessions: 6000\n\+max_concurrent_sessions: 4000\n/,
    );
    expect((await registry('media_servers')).find((i) => i.name === 'media1')?.max_concurrent_sessions).toBe(6000);
  }, 60_000);

  it('the PBX keeps its built-in servers off through a switchover (the settings live on the shared volume)', async () => {
    const before = await activeNode();
    const sw = await engine(['switchover', '-i', LAB_INVENTORY], env);
    expect(sw.code, sw.stdout + sw.stderr).toBe(0);
    expect(await activeNode()).not.toBe(before);
    expect(await builtinServers(['im'])).toEqual(['im']);
    expect(onNode(before, 'ss -Hltn')).not.toMatch(/:889[4-8]\s/);
  }, 120_000);

  it('stop by type, start by address, restart by name touch only their server', async () => {
    const stop = await extend('stop', '-s', 'media-server-only');
    expect(stop.code).toBe(0);
    expect(running('ext01')).toBe(false);
    expect(running('ext02')).toBe(true);
    // The last media server stopped: the PBX's own media server took the work back first.
    expect(await builtinServers(['media', 'im'])).toEqual(['media', 'im']);
    expect((await extend('start', '-a', '172.31.16.150')).code).toBe(0);
    expect(running('ext01')).toBe(true);
    expect(await builtinServers(['im'])).toEqual(['im']);
    const started = (node: string) => onNode(node, "docker inspect -f '{{.State.StartedAt}}' pbx-extend").trim();
    const [queue, meeting] = [started('ext02'), started('ext03')];
    expect((await extend('restart', '-n', 'queue1')).code).toBe(0);
    expect(started('ext02')).not.toBe(queue);
    expect(started('ext03')).toBe(meeting);
  }, 120_000);

  it('rm asks first (refuses without a terminal unless --yes), then removes only the chosen server', async () => {
    const refused = await extend('rm', '-s', 'ivr-server-only');
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('rm removes the servers on ext04: confirm on a terminal or pass --yes');
    expect(running('ext04')).toBe(true);
    // On a terminal it asks; anything but yes keeps the server.
    const declined = await onTerminal(['extend', 'rm', '-s', 'ivr-server-only', '-i', INVENTORY], {
      answer: { prompt: 'remove the extended server container on ext04? [y/N]', typed: 'n\r' },
      env,
    });
    expect(declined.output).toContain('remove the extended server container on ext04? [y/N]');
    expect(declined.code, declined.output).toBe(5);
    expect(running('ext04')).toBe(true);
    expect((await extend('rm', '-s', 'ivr-server-only', '--yes')).code).toBe(0);
    expect(imageOf('ext04')).toBe('none');
    expect(running('ext03')).toBe(true);
    expect((await registry('ivr_servers')).map((i) => [i.name, i.enabled])).toEqual([['BUILT_IN_IVR_SERVER', true]]);
    expect(await builtinServers(['ivr', 'im'])).toEqual(['ivr', 'im']);
  }, 120_000);

  it('refuses to turn a built-in server off while no extended server of its kind is ONLINE', async () => {
    const play = join(LAB, 'ivr-off.yml');
    writeFileSync(
      play,
      `- hosts: ext01\n  gather_facts: false\n  tasks:\n    - pbx_server: { api_url: "${API}", api_token: "${TOKEN}", kind: ivr, builtin: true, enabled: false, wait_online: 1 }\n`,
    );
    const run = await engine(['run', play, '-i', INVENTORY], env);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('no extended ivr server is ONLINE (none registered); the built-in ivr server stays on');
    expect(await builtinServers(['ivr', 'im'])).toEqual(['ivr', 'im']);
  }, 60_000);

  it('upgrade moves every server to the new image, one server at a time', async () => {
    const up = await extend('upgrade', '-e', 'extend_image=pbx-kamailio:lab3');
    expect(up.code, up.stdout.slice(-1500) + up.stderr).toBe(0);
    // serial 1: every task runs once per server, one server after the other.
    expect(up.stdout.match(/TASK \[Gathering Facts\]/g)?.length).toBe(4);
    for (const s of SERVERS) {
      expect(imageOf(s.host), s.host).toBe('pbx-kamailio:lab3');
      expect(running(s.host)).toBe(true);
    }
    for (const collection of ['media_servers', 'call_queue_servers', 'conference_servers', 'ivr_servers']) {
      for (const item of (await registry(collection)).filter((i) => i.type === 'EXTENDED')) expect(item.status, item.name).toBe('ONLINE');
    }
    expect(await builtinServers(['im'])).toEqual(['im']);
  }, 240_000);
});
