// The lab: real systemd-nspawn nodes in their own network namespaces on a bridge with no uplink,
// reached by the engine over ssh, with power cuts, restarts and partitions.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engine, project, recap } from '../helpers/engine';
import { newLabDir, removeLab, takeDownStaleLabs } from '../helpers/lab';
import { BRIDGE_MAC } from '../../engine/cluster/lab/config';

const LAB = newLabDir();
const INVENTORY = join(LAB, 'lab.yml');
const env = { PBX_LAB_DIR: LAB };
const lab = (...args: string[]) => engine(['lab', ...args, '-i', INVENTORY], env);

/** A cable just put back needs a moment before traffic flows: wait up to 10 s. */
async function sshComesBack(ip: string): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) if (await sshAnswers(ip)) return true;
  return false;
}

function sshAnswers(ip: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: ip, port: 22 });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1500, () => done(false));
    s.once('data', () => done(true));
    s.once('error', () => done(false));
  });
}

beforeAll(async () => {
  // A run interrupted earlier left its lab behind: take it down through its own pid files.
  await takeDownStaleLabs(LAB);
  const started = Date.now();
  const up = await lab('up', '--nodes', '3', '--extra', '1');
  expect(up.stderr).toBe('');
  expect(up.code).toBe(0);
  console.log(`lab up: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}, 180_000);

afterAll(() => removeLab(LAB));

describe('lab', () => {
  it('boots three PBX nodes and one extended server running systemd, each with its own hostname, address and ssh key', async () => {
    const status = await lab('status');
    expect(status.stdout).toMatch(/pbx01\s+172\.31\.16\.133\s+running\s+systemd: (running|degraded)/);
    expect(status.stdout).toMatch(/pbx03\s+172\.31\.16\.135\s+running/);
    const known = readFileSync(join(LAB, 'known_hosts'), 'utf8').trim().split('\n');
    expect(new Set(known.map((l) => l.split(' ')[2])).size).toBe(4);
    expect(status.stdout).toMatch(/ext01\s+172\.31\.16\.150\s+running/);
    expect(readFileSync(INVENTORY, 'utf8')).toMatch(/extended:\n\s+hosts:\n\s+ext01: \{ ansible_host: 172\.31\.16\.150 \}/);
    const dir = project({
      'play.yml': `- hosts: pbx
  tasks:
    - copy: { content: "written on {{ inventory_hostname }}\\n", dest: /etc/lab-marker }
    - assert:
        that:
          - ansible_hostname == inventory_hostname
          - ansible_service_mgr == 'systemd'
          - ansible_all_ipv4_addresses | length == 1
          - ansible_host in ansible_all_ipv4_addresses
`,
    });
    const run = await engine(['run', join(dir, 'play.yml'), '-i', INVENTORY]);
    expect(run.code, run.stdout).toBe(0);
    for (const s of Object.values(recap(run.stdout, ['pbx01', 'pbx02', 'pbx03']))) expect(s.failed).toBe(0);
    // Each node wrote into its own upper layer; the host's /etc is untouched.
    expect(readFileSync(join(LAB, 'nodes/pbx02/upper/etc/lab-marker'), 'utf8')).toBe('written on pbx02\n');
    expect(existsSync('/etc/lab-marker')).toBe(false);
  });

  it('the nodes have no route out of the lab', () => {
    const routes = execFileSync('ip', ['-n', 'pbxlab-pbx01', 'route'], { encoding: 'utf8' });
    expect(routes.trim()).toBe('172.31.16.0/20 dev eth0 proto kernel scope link src 172.31.16.133');
    expect(execFileSync('ip', ['-o', 'link', 'show', 'master', 'pbxlab0'], { encoding: 'utf8' }).match(/plv-/g)).toHaveLength(4);
  });

  it('a second lab from another directory is refused while this one is up (they would share names)', async () => {
    const other = newLabDir();
    const res = await engine(['lab', 'up', '--nodes', '1', '-i', join(other, 'lab.yml')], { PBX_LAB_DIR: other });
    rmSync(other, { recursive: true, force: true });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(`a lab from ${LAB} is up (one lab per machine: the names are fixed); take it down first`);
    expect(execFileSync('ip', ['-o', 'link', 'show', 'master', 'pbxlab0'], { encoding: 'utf8' }).match(/plv-/g)).toHaveLength(4);
  });

  it('kill cuts the power (namespace and address gone), start boots the same disk again', async () => {
    expect(await sshAnswers('172.31.16.134')).toBe(true);
    const bridgeMac = () => readFileSync('/sys/class/net/pbxlab0/address', 'utf8').trim();
    // The bridge keeps the MAC the lab gave it whichever port goes (a Linux bridge left to itself
    // takes its lowest port's): the nodes' ARP entries for the controller and the BMCs stay right.
    expect(bridgeMac()).toBe(BRIDGE_MAC);
    expect(readFileSync('/sys/class/net/pbxlab0/addr_assign_type', 'utf8').trim()).toBe('3');
    const kill = await lab('kill', 'pbx02');
    expect(kill.code).toBe(0);
    expect(bridgeMac()).toBe(BRIDGE_MAC);
    expect(await sshAnswers('172.31.16.134')).toBe(false);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain('pbxlab-pbx02');
    expect((await lab('status')).stdout).toMatch(/pbx02\s+172\.31\.16\.134\s+stopped/);
    const started = Date.now();
    expect((await lab('start', 'pbx02')).code).toBe(0);
    console.log(`lab start after a power cut: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(await sshAnswers('172.31.16.134')).toBe(true);
    const dir = project({
      'play.yml':
        '- hosts: pbx02\n  gather_facts: false\n  tasks:\n    - command: cat /etc/lab-marker\n      register: m\n      changed_when: false\n    - assert: { that: ["m.stdout == \'written on pbx02\'"] }\n',
    });
    expect((await engine(['run', join(dir, 'play.yml'), '-i', INVENTORY])).code).toBe(0);
  }, 120_000);

  it("every PBX node has a simulated BMC: IPMI over LAN with the lab's password powers the node off, and on again after its self test", async () => {
    const password = readFileSync(join(LAB, 'bmc/password'), 'utf8');
    const ipmi = (pass: string, ...command: string[]) =>
      spawnSync('ipmitool', ['-I', 'lanplus', '-C', '3', '-H', '172.31.16.233', '-U', 'admin', '-P', pass, 'chassis', 'power', ...command], {
        encoding: 'utf8',
      });
    expect(ipmi(password, 'status').stdout.trim()).toBe('Chassis Power is on');
    expect(ipmi('not-the-password', 'status').status).not.toBe(0);
    expect(ipmi(password, 'off').status).toBe(0);
    expect(await sshAnswers('172.31.16.133')).toBe(false);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain('pbxlab-pbx01');
    expect(ipmi(password, 'status').stdout.trim()).toBe('Chassis Power is off');
    const on = Date.now();
    expect(ipmi(password, 'on').status).toBe(0);
    // On at once, as a BMC says; the node boots after the self test, a few seconds later.
    expect(ipmi(password, 'status').stdout.trim()).toBe('Chassis Power is on');
    expect(await sshAnswers('172.31.16.133')).toBe(false);
    while (!(await sshAnswers('172.31.16.133')) && Date.now() - on < 30_000) await new Promise((r) => setTimeout(r, 250));
    expect(await sshAnswers('172.31.16.133')).toBe(true);
    expect(Date.now() - on).toBeGreaterThan(5000);
    expect(readFileSync(join(LAB, 'fenced.log'), 'utf8')).toMatch(/off pbx01 from bmc-pbx01: rc 0[\s\S]*on pbx01 from bmc-pbx01: rc 0/);
    // An extended server is no cluster member: no BMC.
    expect(existsSync(join(LAB, 'bmc/ext01'))).toBe(false);
  }, 60_000);

  it('partition unplugs a running node, heal plugs it back', async () => {
    expect((await lab('partition', 'pbx03')).code).toBe(0);
    expect(await sshAnswers('172.31.16.135')).toBe(false);
    expect((await lab('status')).stdout).toMatch(/pbx03\s+172\.31\.16\.135\s+running/);
    expect((await lab('heal')).code).toBe(0);
    expect(await sshComesBack('172.31.16.135')).toBe(true);
  });

  it('apt installs, upgrades and removes a package from a local repository served to the nodes', async () => {
    const pkg = 'pbx-lab-probe';
    const repo = join(LAB, 'repo');
    const publish = (version: string) => {
      const build = join(LAB, `build-${version}`);
      execFileSync('mkdir', ['-p', join(build, 'DEBIAN'), join(build, 'usr/share', pkg), repo]);
      execFileSync('sh', [
        '-c',
        `printf 'Package: ${pkg}\\nVersion: ${version}\\nArchitecture: all\\nMaintainer: lab <lab@localhost>\\nDescription: lab apt probe\\n' > ${build}/DEBIAN/control; echo ${version} > ${build}/usr/share/${pkg}/version`,
      ]);
      execFileSync('dpkg-deb', ['--build', '--root-owner-group', build, join(repo, `${pkg}_${version}_all.deb`)], { stdio: 'ignore' });
      execFileSync('sh', ['-c', `cd ${repo} && dpkg-scanpackages --multiversion . /dev/null > Packages 2>/dev/null`]);
    };
    const dir = project({
      'play.yml': `- hosts: pbx
  gather_facts: false
  vars: { repo: "${repo}" }
  tasks:
    - name: The lab repository is the nodes' only apt source (they have no route out)
      copy: { content: "deb [trusted=yes] file:/srv/labrepo ./\\n", dest: /etc/apt/sources.list }
    - shell: rm -f /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources
      vars: { engine_probe: "! ls /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -q ." }
    - file: { path: /srv/labrepo, state: directory }
    - copy: { src: "{{ item }}", dest: /srv/labrepo/ }
      loop: "{{ query('fileglob', repo + '/*') }}"
    - apt: { name: ${pkg}, state: "{{ want }}", update_cache: true }
`,
    });
    const run = (want: string) => engine(['run', join(dir, 'play.yml'), '-i', INVENTORY, '--limit', 'pbx01', '-e', `want=${want}`]);
    const version = async () => {
      const dirQ = project({
        'q.yml': `- hosts: pbx01
  gather_facts: false
  tasks:
    - shell: dpkg-query -W -f='\${db:Status-Status} \${Version}' ${pkg} || true
      register: q
      changed_when: false
    - debug: { var: q.stdout }
`,
      });
      const out = (await engine(['run', join(dirQ, 'q.yml'), '-i', INVENTORY])).stdout;
      return /"q.stdout":"([^"]*)"/.exec(out)?.[1];
    };
    publish('1.0');
    const install = await run('present');
    expect(install.code, install.stdout + install.stderr).toBe(0);
    expect(await version()).toBe('installed 1.0');
    const again = await run('present');
    expect(recap(again.stdout).pbx01.changed, again.stdout).toBe(0);
    publish('1.1');
    const upgrade = await run('latest');
    expect(upgrade.code, upgrade.stdout).toBe(0);
    expect(recap(upgrade.stdout).pbx01.changed).toBeGreaterThan(0);
    expect(await version()).toBe('installed 1.1');
    expect(recap((await run('latest')).stdout).pbx01.changed).toBe(0);
    expect((await run('absent')).code).toBe(0);
    expect(await version()).not.toContain('installed');
    // The host itself never had the package.
    expect(() => execFileSync('dpkg-query', ['-W', pkg], { stdio: 'ignore' })).toThrow();
  }, 180_000);

  it('down removes the bridge, namespaces, mounts and cgroups', async () => {
    expect((await lab('down')).code).toBe(0);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain('pbxlab-');
    expect(execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' })).not.toContain('pbxlab0');
    expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(LAB);
    expect(existsSync('/sys/fs/cgroup/freezer/pbxlab-pbx01')).toBe(false);
    expect(existsSync('/run/pbx-lab.owner')).toBe(false);
    // The simulated BMCs stopped with it.
    const cmdline = (pid: string) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        return ''; // gone
      }
    };
    const bmcs = readdirSync('/proc').filter((pid) => /^\d+$/.test(pid) && cmdline(pid).includes(join(LAB, 'bmc')));
    expect(bmcs).toEqual([]);
  }, 60_000);
});
