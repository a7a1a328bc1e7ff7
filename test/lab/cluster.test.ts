// The PBX HA cluster deployed for real onto a fresh lab (three systemd-nspawn nodes running
// corosync, pacemaker and pcsd), then operated: re-runs, a declared change, SIP through the VIP,
// a power cut of the active node, and a network partition.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSshTarget, SshConnection } from '../../engine/core/connection/ssh';
import { cluster_cib } from '../../engine/cluster/modules/cluster_cib';
import { execOn, probeWith, runSteps } from '../../engine/core/run/steps';
import { planContext } from '../helpers/modules';
import { sipOptions, sipTransaction } from '../../engine/cluster/sip/options';
import { changedTasks, changedTasksOfJson, engine, jsonEvents, LAB_DRBD_SECRET, project, recap } from '../helpers/engine';
import { labVars, newLabDir, onNode as onLabNode, removeLab, takeDownStaleLabs } from '../helpers/lab';
import { AWS_TEST_ENV, seedPbxVpc, startMoto } from '../helpers/moto';

const LAB = newLabDir();
// The lab has a fourth PBX node, kept out of the cluster until a node is replaced.
const LAB_INVENTORY = join(LAB, 'lab.yml');
const INVENTORY = join(LAB, 'cluster.yml');
const env = { PBX_LAB_DIR: LAB };
const ROOT = resolve(__dirname, '../..');
const DEPLOY = join(ROOT, 'playbooks/deploy.yml');
const VIP = '172.31.16.130';
const NODES = ['pbx01', 'pbx02', 'pbx03'];

const lab = (...args: string[]) => engine(['lab', ...args, '-i', LAB_INVENTORY], env);
const ops = (...args: string[]) => engine([...args, '-i', INVENTORY], env);
const deploy = (...args: string[]) => engine(['run', DEPLOY, '-i', INVENTORY, ...args], env);

const onNode = (node: string, command: string) => onLabNode(LAB, node, command);

/** Nodes whose network namespace holds the VIP right now (a node that is off holds nothing). */
function vipHolders(): string[] {
  return NODES.filter((n) => spawnSync('ip', ['-n', `pbxlab-${n}`, '-o', '-4', 'addr', 'show'], { encoding: 'utf8' }).stdout.includes(` ${VIP}/`));
}

function sipp(scenario: string, user: string): { code: number | null; out: string } {
  const res = spawnSync(
    'sipp',
    ['-sf', scenario, '-s', user, '-m', '1', '-key', 'expires', '3600', '-i', '172.31.16.10', '-timeout', '5', '-timeout_error', '-nostdin', `${VIP}:5060`],
    {
      encoding: 'utf8',
      timeout: 20_000,
      cwd: LAB,
    },
  );
  return { code: res.status, out: res.stdout + res.stderr };
}

/**
 * A SIP client asking the VIP all along (a new OPTIONS transaction every 100 ms, each with RFC
 * 3261's retransmissions, failed only when its 32 s Timer F fires), until stopped; at least 30.
 */
function transactionClient(): () => Promise<{ total: number; failed: number; slowestMs: number; answeredBy: string[] }> {
  let running = true;
  const results: Promise<{ line?: string; ms: number }>[] = [];
  const loop = (async () => {
    while (running || results.length < 30) {
      const sent = Date.now();
      results.push(sipTransaction(VIP, 5060).then((line) => ({ line, ms: Date.now() - sent })));
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return async () => {
    running = false;
    await loop;
    const done = await Promise.all(results);
    return {
      total: done.length,
      failed: done.filter((r) => !r.line).length,
      slowestMs: Math.max(...done.map((r) => r.ms)),
      answeredBy: [...new Set(done.flatMap((r) => (r.line ? [r.line.split(' ').pop()!] : [])))],
    };
  };
}

async function master(): Promise<string> {
  const res = await ops('master');
  expect(res.code, res.stderr).toBe(0);
  return res.stdout.trim();
}

/**
 * Until the cluster says the VIP and the PBX are started on one node: an operation undone moves
 * them back, and SIP is answered only once Pacemaker has started them again.
 */
async function waitPbxStarted(limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const res = await ops('status', '--json');
    const status = res.code === 0 || res.code === 2 ? JSON.parse(res.stdout) : undefined;
    const on = (id: string) => status?.resources.find((r: { id: string; role: string }) => r.id === id && r.role === 'Started')?.nodes ?? [];
    if (on('vip').length === 1 && on('pbx').length === 1) return;
    if (Date.now() > deadline) throw new Error(`the VIP and the PBX not started again: ${res.stdout}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function waitAllOnline(limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const res = await ops('status', '--json');
    const status = res.code === 0 || res.code === 2 ? JSON.parse(res.stdout) : undefined;
    if (status?.nodes.filter((n: { online: boolean }) => n.online).length === 3 && !status.failures.length) return;
    if (Date.now() > deadline) throw new Error(`cluster not back to three nodes: ${res.stdout}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

beforeAll(async () => {
  await takeDownStaleLabs(LAB);
  const up = await lab('up', '--nodes', '4');
  expect(up.code, up.stderr).toBe(0);
  writeFileSync(
    INVENTORY,
    readFileSync(LAB_INVENTORY, 'utf8')
      .split('\n')
      .filter((l) => !l.includes('pbx04:'))
      .join('\n'),
  );
}, 180_000);

afterAll(() => removeLab(LAB), 120_000);

/** What the dry run on the bare nodes said the deploy would change; the deploy test holds it to that. */
let predicted: string[] = [];

describe('PBX HA cluster in the lab', () => {
  it('preflight refuses, naming the rule and the node: hostnames, addresses, DHCP, OS, resources, VIP in use', async () => {
    // Only the checks run (tagged always; no task has this tag), in a dry run: nothing else happens.
    const preflight = (...args: string[]) => deploy('--check', '--tags', 'preflight-only', ...args);
    const cases: [string[], string | RegExp][] = [
      [['-e', 'pbx02_hostname=pbx09'], "pbx02 reports hostname 'pbx02'; the cluster nodes are pbx01, pbx09, pbx03"],
      [['-e', 'pbx02_private_ip=172.31.16.140'], 'pbx02 does not have the address vars.yml gives it (172.31.16.140)'],
      [['-e', '{"preflight_os": {"id": "Ubuntu", "version": "24.04"}}'], 'pbx01 runs Debian 12; all nodes must run Ubuntu 24.04'],
      [['-e', 'preflight_resources_warn_only=false', '-e', 'preflight_min_vcpus=1000'], /pbx01 has \d+ CPUs and \d+ MB; the PBX needs at least 1000 CPUs/],
      [['-e', 'vip=172.31.16.135'], '172.31.16.135 already answers on the network (arping found it)'],
    ];
    for (const [args, message] of cases) {
      const run = await preflight(...args);
      expect(run.code, `${args.join(' ')}: ${run.stdout.slice(-2000)}`).toBe(2);
      expect(run.stdout, args.join(' ')).toMatch(message);
    }
    // An address leased by DHCP (the kernel shows it as dynamic) is refused too.
    onNode('pbx02', 'ip addr change 172.31.16.134/20 dev eth0 valid_lft 3600 preferred_lft 3600');
    try {
      const leased = await preflight();
      expect(leased.code, leased.stdout.slice(-2000)).toBe(2);
      expect(leased.stdout).toContain('pbx02: the cluster address is assigned by DHCP; give it a static address');
    } finally {
      onNode('pbx02', 'ip addr change 172.31.16.134/20 dev eth0 valid_lft forever preferred_lft forever');
    }
    const clean = await preflight();
    expect(clean.code, clean.stdout.slice(-2000)).toBe(0);
    expect(changedTasks(clean.stdout)).toEqual([]);
  }, 180_000);

  it('a preflight finding that stops the deploy stops its dry run too, with the same message', async () => {
    const [dry, real] = [await deploy('--check', '-e', 'fencing=none'), await deploy('-e', 'fencing=none')];
    const message = "fencing is 'none' with 3 devices: a cluster that cannot power off a lost node can end up running the PBX twice";
    for (const run of [dry, real]) {
      expect(run.code, run.stdout.slice(-2000)).toBe(2);
      expect(run.stdout).toContain(message);
      expect(changedTasks(run.stdout)).toEqual([]);
    }
  }, 120_000);

  it('a dry run on the bare nodes previews the whole deploy, role by role, and changes nothing', async () => {
    const started = Date.now();
    const dry = await deploy('--check', '--diff', '--json');
    console.log(`dry run of the deploy on bare lab nodes: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(dry.code, dry.stdout.slice(-3000)).toBe(0);
    const events = jsonEvents(dry.stdout);
    const results = events.filter((e) => e.kind === 'host_result');
    const result = (task: string, host = 'pbx01', item?: string) => {
      const found = results.find((e) => e.task === task && e.host === host && e.item === item);
      expect(found, `${task} on ${host}`).toBeDefined();
      return found!;
    };
    const end = events.find((e) => e.kind === 'recap')!;
    expect(end.check).toBe(true);
    expect(Object.keys(end.stats)).toEqual(NODES);
    // Every role of the deploy shows its changes (the lab image has the packages already).
    expect(
      [
        ...new Set(
          Object.values(end.changes as Record<string, { role: string }[]>)
            .flat()
            .map((c) => c.role),
        ),
      ].sort(),
    ).toEqual(['container_runtime', 'corosync', 'dependencies', 'fencing', 'pbx', 'pcs_resources', 'storage']);
    expect(result('Create the cluster (keys and configuration distributed by pcs)').status).toBe('changed');
    const corosyncConf = result('corosync.conf', 'pbx02').diff[0].after;
    expect(corosyncConf).toContain('cluster_name: pbx_lab');
    for (const [i, node] of NODES.entries()) expect(corosyncConf).toContain(`ring0_addr: 172.31.16.${133 + i}\n        name: ${node}`);
    for (const node of NODES) {
      for (const unit of ['corosync', 'pacemaker'])
        expect(result('Corosync and Pacemaker run and start at boot', node, unit).diff[0].after).toBe(`${unit}: running, enabled\n`);
      expect(result('ipmitool that takes the BMC password from a file', node).status).toBe('changed');
      // file's diff as Ansible registers it (mappings), shown as its callback does: JSON, keys sorted.
      expect(JSON.parse(result('Mount point of the PBX data', node).diff[0].after)).toEqual({ path: '/var/lib/pbx', state: 'directory', mode: '0755' });
      expect(result('Image imported from the local archive (no registry needed)', node).status).toBe('changed');
      // A waivable preflight finding is a warning, not an ignored failure.
      expect(result('CPUs and memory', node).status).toBe('warning');
      expect(end.stats[node]).toMatchObject({ warnings: 1, ignored: 0, failed: 0 });
    }
    expect(result('Filesystem on the shared device (made once, only where blkid finds no signature at all)').diff[0].after).toBe('/dev/xvdf: xfs\n');
    // The whole Pacemaker configuration, from an empty CIB, judged by crm_verify.
    const cib = result('Cluster configuration (one CIB patch; --diff shows it)');
    expect(cib.msg).toMatch(/^cluster configuration would be updated \(crm_verify accepts it\)/);
    expect(cib.diff[0].beforeHeader).toBe('empty CIB (no cluster runs yet)');
    for (const id of ['fence_pbx01', 'fence_pbx02', 'fence_pbx03', 'datapath_fs', 'vip', 'pbx'])
      expect(cib.diff[0].after).toMatch(new RegExp(`<primitive [^>]*id="${id}"`));
    expect(cib.diff[0].after).toContain('<rsc_order first="vip" first-action="start" id="order-vip-pbx-Mandatory"');
    // Waits for what the run would create are predicted, not polled.
    expect(result('Wait until the cluster has quorum and a designated controller').msg).toMatch(/^predicted, not polled: /);
    expect(result('SIP port open on the VIP').msg).toMatch(/^predicted, not polled: .*172\.31\.16\.130:5060/);
    // Nothing of it happened.
    for (const node of NODES) {
      expect(onNode(node, 'ls /etc/corosync/authkey /etc/pbx /usr/local/sbin/pbx-ipmitool /etc/pacemaker/fence-ipmi 2>/dev/null || true').trim(), node).toBe(
        '',
      );
      expect(onNode(node, 'systemctl is-active corosync pacemaker docker || true').trim().split('\n'), node).toEqual(['inactive', 'inactive', 'inactive']);
    }
    expect(onNode('pbx01', 'blkid /dev/xvdf || echo none').trim()).toBe('none');
    predicted = changedTasksOfJson(dry.stdout);
    expect(predicted.length).toBeGreaterThan(40);
  }, 120_000);

  it('deploys from bare nodes until SIP is answered on the VIP, changing what the dry run said; no secret is ever in an argv', async () => {
    // The lab nodes' processes are this machine's processes too: every argv is sampled from /proc
    // all through the deploy, looking for the site's secrets and for crypt hashes.
    const secrets = ['lab-hacluster-secret', 'lab-pbx-api-token-0123456789', readFileSync(join(LAB, 'bmc/password'), 'utf8')];
    const seen = new Set<string>();
    let samples = 0;
    const sampler = setInterval(() => {
      samples++;
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        let args = '';
        try {
          args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
        } catch {
          continue; // gone
        }
        if (secrets.some((x) => args.includes(x)) || /\$6\$[^ ]+\$/.test(args)) seen.add(args.slice(0, 200));
      }
    }, 50);
    const started = Date.now();
    const run = await deploy().finally(() => clearInterval(sampler));
    const seconds = (Date.now() - started) / 1000;
    expect(run.code, run.stdout.slice(-3000)).toBe(0);
    expect(Object.keys(recap(run.stdout, NODES))).toEqual(NODES);
    for (const s of Object.values(recap(run.stdout, NODES))) expect(s.failed).toBe(0);
    expect(changedTasks(run.stdout)).toEqual(predicted);
    expect(samples).toBeGreaterThan(100);
    expect([...seen]).toEqual([]);
    for (const secret of secrets) expect(run.stdout + run.stderr).not.toContain(secret);
    // The BMC password is in root-only files on the nodes, not in the CIB every cluster user reads.
    expect(onNode('pbx02', 'stat -c %a:%U /etc/pacemaker/fence-ipmi/172.31.16.233').trim()).toBe('600:root');
    expect(onNode('pbx02', 'cibadmin --query')).not.toContain(secrets[2]);
    const answer = await sipOptions(VIP, 5060, 1000);
    expect(answer).toMatch(/^SIP\/2\.0 200 OK from pbx0[123]$/);
    console.log(`deploy from bare lab nodes to SIP on the VIP: ${seconds.toFixed(1)} s`);
  }, 300_000);

  it('a second deploy changes nothing', async () => {
    const started = Date.now();
    const run = await deploy();
    expect(run.code, run.stdout.slice(-3000)).toBe(0);
    for (const [host, s] of Object.entries(recap(run.stdout, NODES))) expect(s.changed, `${host} changed`).toBe(0);
    console.log(`re-run with nothing to change: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // One role re-run (as for an upgrade of that part): only the pbx role's tasks, the roles it
    // includes, and the preflight checks (tagged always: they guard every run).
    const pbxOnly = await deploy('--role', 'pbx');
    expect(pbxOnly.code, pbxOnly.stdout.slice(-3000)).toBe(0);
    const roles = new Set([...pbxOnly.stdout.matchAll(/^TASK \[(?:(\w+) : )?/gm)].map((m) => m[1] ?? '(play)'));
    expect([...roles].sort()).toEqual(['(play)', 'container_runtime', 'pbx', 'preflight']);
    expect(pbxOnly.stdout).toMatch(/TASK \[pbx : Stand-in PBX configuration/);
    for (const [host, s] of Object.entries(recap(pbxOnly.stdout, NODES))) expect(s.changed, `${host} changed`).toBe(0);
  }, 120_000);

  it('a changed corosync token reaches the running corosync by a reload, never a restart', async () => {
    const since = () => NODES.map((n) => onNode(n, 'systemctl show -p ExecMainStartTimestampMonotonic --value corosync pacemaker').trim());
    const runtimeToken = () => NODES.map((n) => onNode(n, 'corosync-cmapctl -g runtime.config.totem.token').trim().split(' = ')[1]);
    const before = since();
    expect(runtimeToken()).toEqual(['1000', '1000', '1000']);
    for (const token of ['1100', '1000']) {
      const run = await deploy('-e', `corosync_token=${token}`);
      expect(run.code, run.stdout.slice(-3000)).toBe(0);
      expect(run.stdout).toContain('RUNNING HANDLER [corosync : reload corosync]');
      expect(runtimeToken()).toEqual([token, token, token]);
    }
    expect(since()).toEqual(before);
  }, 120_000);

  it("faults during a deploy: the engine killed at seeded points, a node's sshd frozen, a node's cable pulled; each re-run converges, the cluster is healthy, the data intact", async () => {
    const active = await master();
    const marker = `fault-${Date.now()}`;
    onNode(active, `echo ${marker} > /var/lib/pbx/fault-marker && sync`);
    // Each deploy carries a declared change (the token), so the killed run was writing.
    const tokens = [1100, 1000, 1100];
    // Seeded points, named by the task the run has just started (a time would drift with the
    // deploy's speed: a faster run once ended before a kill 1.9 s in): an early one, the node
    // tasks, the write of the declared corosync change.
    const killAt = ['TASK [preflight', 'TASK [corosync : hacluster password]', 'TASK [corosync : corosync.conf]'];
    for (const [i, point] of killAt.entries()) {
      const child = spawn(
        join(ROOT, 'node_modules/.bin/ts-node'),
        [join(ROOT, 'engine'), 'run', DEPLOY, '-i', INVENTORY, '-e', `corosync_token=${tokens[i]}`],
        { cwd: ROOT, env: { ...process.env, ...env, CI: 'true' }, stdio: ['ignore', 'pipe', 'ignore'] },
      );
      // Listened for from the start: a run that ended before the kill must not be waited for forever.
      const exited = new Promise((r) => child.once('exit', r));
      let printed = '';
      child.stdout.on('data', (d: Buffer) => {
        printed += d;
        if (printed.includes(point) && child.exitCode === null && !child.killed) child.kill('SIGKILL');
      });
      await exited;
      expect(child.signalCode, `the run ended by itself before '${point}': the seeded point is not in it`).toBe('SIGKILL');
      const converge = await deploy('-e', `corosync_token=${tokens[i]}`);
      expect(converge.code, converge.stdout.slice(-3000)).toBe(0);
      const again = await deploy('-e', `corosync_token=${tokens[i]}`);
      for (const [host, st] of Object.entries(recap(again.stdout, NODES))) expect(st.changed, `${host} changed after killed run ${i}`).toBe(0);
      for (const node of NODES)
        expect(onNode(node, 'ls -a /etc/corosync /etc/pbx 2>/dev/null | grep -c "\\.engine-" || true').trim(), `temp files on ${node}`).toBe('0');
    }
    // A node whose sshd is frozen is that node's failure (unreachable); the others finish.
    onNode('pbx03', 'kill -STOP $(pidof sshd)');
    let frozen: Awaited<ReturnType<typeof deploy>>;
    try {
      frozen = await deploy(
        '-e',
        'corosync_token=1000',
        '-e',
        'ansible_timeout=3',
        '-e',
        'ansible_ssh_extra_args="-o ServerAliveInterval=1 -o ServerAliveCountMax=3"',
      );
    } finally {
      onNode('pbx03', 'kill -CONT $(pidof sshd)');
    }
    // pbx03 is the unreachable one; the others stop at preflight, which compares all nodes and
    // names the one that did not answer (a failure outranks unreachable in the exit code).
    expect(frozen.code, frozen.stdout.slice(-3000)).toBe(2);
    expect(recap(frozen.stdout).pbx03.unreachable).toBe(1);
    expect(frozen.stdout).toContain('pbx03 did not answer; the cluster checks compare all nodes');
    for (const node of ['pbx01', 'pbx02']) expect(recap(frozen.stdout)[node].changed).toBe(0);
    const healed = await deploy('-e', 'corosync_token=1000');
    expect(healed.code, healed.stdout.slice(-3000)).toBe(0);
    await waitAllOnline(60_000);
    // A standby node's cable pulled mid-deploy: that node is unreachable (the cluster may fence
    // it meanwhile, so the others can fail waiting for the cluster to settle); plugged back in,
    // the cluster heals and a re-run converges.
    const standby = NODES.find((n) => n !== active && n !== 'pbx01')!;
    const cutRun = deploy(
      '-e',
      'corosync_token=1100',
      '-e',
      'ansible_timeout=3',
      '-e',
      'ansible_ssh_extra_args="-o ServerAliveInterval=1 -o ServerAliveCountMax=3"',
    );
    await new Promise((r) => setTimeout(r, 800));
    expect((await lab('partition', standby)).code).toBe(0);
    const cut = await cutRun;
    expect((await lab('heal')).code).toBe(0);
    expect(cut.code, cut.stdout.slice(-3000)).not.toBe(0);
    expect(Object.keys(recap(cut.stdout)).sort()).toEqual(NODES);
    expect(recap(cut.stdout)[standby].unreachable, cut.stdout.slice(-3000)).toBe(1);
    await waitAllOnline(180_000);
    const plugged = await deploy('-e', 'corosync_token=1000');
    expect(plugged.code, plugged.stdout.slice(-3000)).toBe(0);
    await waitAllOnline(60_000);
    expect((await ops('status')).code).toBe(0);
    const now = await master();
    expect(onNode(now, 'cat /var/lib/pbx/fault-marker').trim()).toBe(marker);
    expect(await sipOptions(VIP, 5060, 2000)).toMatch(/^SIP\/2\.0 200/);
  }, 600_000);

  it("status and master tell the truth: the VIP is in the master node's namespace only", async () => {
    const res = await ops('status', '--json');
    expect(res.code, res.stdout).toBe(0);
    const status = JSON.parse(res.stdout);
    expect(status.quorate).toBe(true);
    expect(status.nodes.map((n: { name: string; online: boolean }) => `${n.name}:${n.online}`)).toEqual(['pbx01:true', 'pbx02:true', 'pbx03:true']);
    const active = await master();
    for (const id of ['datapath_fs', 'vip', 'pbx']) expect(status.resources.find((r: { id: string }) => r.id === id).nodes).toEqual([active]);
    expect(vipHolders()).toEqual([active]);
    expect(onNode(active, 'findmnt -n -o SOURCE /var/lib/pbx').trim()).toBe('/dev/xvdf');
    for (const other of NODES.filter((n) => n !== active)) expect(onNode(other, 'findmnt -n /var/lib/pbx || echo none').trim()).toBe('none');
    const text = await ops('status');
    expect(text.stdout).toMatch(new RegExp(`pbx\\s+ocf:heartbeat:docker\\s+Started\\s+${active}`));
    // The PBX container runs on the active node only, and nothing but Pacemaker would restart it.
    expect(onNode(active, "docker inspect -f '{{.State.Running}} {{.HostConfig.RestartPolicy.Name}}' pbx").trim()).toBe('true no');
    for (const other of NODES.filter((n) => n !== active)) expect(onNode(other, 'docker ps -q --filter name=^pbx$').trim()).toBe('');
  }, 60_000);

  it('answers SIP REGISTER and OPTIONS (sipp) on the VIP, and knows the registered user', async () => {
    const register = sipp(join(ROOT, 'engine/cluster/sip/scenarios/register.xml'), 'alice');
    expect(register.code, register.out).toBe(0);
    const options = sipp(join(ROOT, 'test/fixtures/sipp/options.xml'), 'probe');
    expect(options.code, options.out).toBe(0);
    expect(await sipOptions(VIP, 5060, 1000, 'alice')).toMatch(/^SIP\/2\.0 200 OK registered pbx0/);
    expect(await sipOptions(VIP, 5060, 1000, 'nobody')).toMatch(/^SIP\/2\.0 404 Not registered/);
  }, 60_000);

  it('operations undo themselves when a transition times out: no target-role left, no node left in standby', async () => {
    const restart = await ops('restart', 'pbx', '--wait', '0.05');
    expect(restart.code, restart.stdout + restart.stderr).toBe(2);
    // Which wait runs out first depends on how fast the container stops; either way the
    // target-role the restart set must be gone and the PBX back.
    expect(restart.stderr).toMatch(/restart: timed out after 0\.05 s waiting until the PBX (stopped|started) \(undone/);
    expect(onNode('pbx01', 'crm_resource --resource pbx --meta --get-parameter target-role 2>/dev/null || true')).not.toMatch(/Stopped/);
    await waitAllOnline(60_000);
    const before = await master();
    const standby = await ops('verify', 'failover', '--mode', 'standby', '--wait', '0.05');
    expect(standby.code, standby.stdout + standby.stderr).toBe(2);
    expect(standby.stderr).toMatch(/undone/);
    for (const node of NODES) expect(onNode('pbx01', `crm_attribute --node ${node} --name standby --query --quiet 2>/dev/null || echo off`).trim()).toBe('off');
    await waitAllOnline(60_000);
    expect(NODES).toContain(before);
    await waitPbxStarted(60_000);
    expect(await sipOptions(VIP, 5060, 2000)).toMatch(/^SIP\/2\.0 200/);
  }, 240_000);

  it('operations: restart pbx restarts it in place; switchover --to moves it and removes its constraint; verify failover --mode standby; status exits 2 on failed actions', async () => {
    const active = await master();
    const started = () => onNode(active, "docker inspect -f '{{.State.StartedAt}}' pbx").trim();
    const before = started();
    const restart = await ops('restart', 'pbx');
    expect(restart.code, restart.stdout + restart.stderr).toBe(0);
    expect(await master()).toBe(active);
    expect(started()).not.toBe(before);
    expect(await sipOptions(VIP, 5060, 2000)).toBe(`SIP/2.0 200 OK from ${active}`);

    // A switchover with three calls held through it, and a client with RFC 3261 timers asking
    // the VIP all along: no call lost, no transaction failed.
    const target = NODES.find((n) => n !== active)!;
    const client = transactionClient();
    const moved = await ops('switchover', '--to', target, '--calls', '3');
    const asked = await client();
    expect(moved.code, moved.stdout + moved.stderr).toBe(0);
    expect(moved.stdout).toContain(`switchover ${active} -> ${target}: SIP answered`);
    expect(moved.stdout).toMatch(new RegExp(`timeline \\(seconds from the switchover request\\):\\n +0\\.00  switchover requested \\(to ${target}\\)\\n`));
    expect(moved.stdout).toMatch(/calls: 3 up before \(known to the PBX: 3\), known after: 3; re-INVITE answered 3, BYE answered 3/);
    expect(moved.stdout.trim().split('\n').pop()).toBe('calls kept 3/3');
    console.log(
      `switchover: ${asked.failed} of ${asked.total} SIP transactions failed, slowest answered after ${asked.slowestMs} ms (${asked.answeredBy.join(' then ')})`,
    );
    expect(asked.failed).toBe(0);
    expect(asked.answeredBy).toEqual([active, target]);
    expect(await master()).toBe(target);
    expect(onNode('pbx01', 'cibadmin --query --xpath "//rsc_location[starts-with(@id, \'cli-\')]" >/dev/null 2>&1 || echo none').trim()).toBe('none');

    const standby = await ops('verify', 'failover', '--mode', 'standby', '--calls', '2', '--json');
    expect(standby.code, standby.stdout + standby.stderr).toBe(0);
    const report = JSON.parse(standby.stdout);
    expect(report.from).toBe(target);
    expect(report.to).not.toBe(target);
    expect(report.dataIntact).toBe(true);
    expect(report.calls).toMatchObject({ placed: 2, knownBefore: 2, knownAfter: 2, reinvited: 2, ended: 2, kept: 2 });
    expect(report.timeline[0]).toEqual({ event: `${target} put in standby`, seconds: 0 });
    for (const node of NODES) expect(onNode('pbx01', `crm_attribute --node ${node} --name standby --query --quiet 2>/dev/null || echo off`).trim()).toBe('off');
    await waitAllOnline(90_000);

    // A failed action makes status exit 2 (and name it) until it is cleaned up.
    onNode('pbx01', 'crm_resource --fail --resource vip --node pbx01 >/dev/null 2>&1 || true');
    try {
      const deadline = Date.now() + 20_000;
      let status = await ops('status');
      while (status.code !== 2 && Date.now() < deadline) status = await ops('status');
      expect(status.code, status.stdout).toBe(2);
    } finally {
      onNode('pbx01', 'crm_resource --cleanup --resource vip >/dev/null 2>&1 || true');
    }
    await waitAllOnline(90_000);
    expect((await ops('status')).code).toBe(0);
  }, 300_000);

  it('without call recovery a switchover loses the calls: the PBX that takes over does not know them (481), and the operation says so', async () => {
    const off = await deploy('--role', 'pbx', '-e', '{"pbx_call_recovery": false}');
    expect(off.code, off.stdout.slice(-3000)).toBe(0);
    try {
      const moved = await ops('switchover', '--calls', '2');
      expect(moved.code, moved.stdout + moved.stderr).toBe(2);
      expect(moved.stdout).toMatch(/calls: 2 up before \(known to the PBX: 2\), known after: 0; re-INVITE answered 0, BYE answered 0/);
      expect(moved.stdout).toMatch(/lost: held-1-\w+@[\d.]+: SIP\/2\.0 481 Call unknown to pbx0\d/);
      expect(moved.stdout.trim().split('\n').pop()).toBe('calls kept 0/2');
    } finally {
      const on = await deploy('--role', 'pbx');
      expect(on.code, on.stdout.slice(-3000)).toBe(0);
    }
    expect(await ops('switchover', '--calls', '1')).toMatchObject({ code: 0 });
  }, 240_000);

  it('a changed resource parameter shows exactly under --check --diff, changes nothing, then only it is applied', async () => {
    const vars = labVars(LAB, 'changed-vars.yml', (t) => t.replace('pcmk_host_list: pbx01 }', 'pcmk_host_list: pbx01, power_timeout: 30 }'));
    const epoch = () => onNode('pbx01', 'cibadmin --query --xpath /cib --no-children').match(/ epoch="(\d+)"/)![1];
    const before = epoch();
    const active = await master();

    const check = await deploy('--check', '--diff', '-e', `site_vars=${vars}`);
    expect(check.code, check.stdout.slice(-3000)).toBe(0);
    const changedLines = check.stdout.split('\n').filter((l) => /^[+-]\s/.test(l));
    expect(changedLines).toEqual(['+      <nvpair id="fence_pbx01-instance_attributes-power_timeout" name="power_timeout" value="30"/>']);
    expect(recap(check.stdout).pbx01.changed).toBe(1);
    expect(epoch()).toBe(before);

    const apply = await deploy('-e', `site_vars=${vars}`);
    expect(apply.code, apply.stdout.slice(-3000)).toBe(0);
    expect(recap(apply.stdout).pbx01.changed).toBe(1);
    expect(recap(apply.stdout).pbx02.changed).toBe(0);
    expect(onNode('pbx02', 'cibadmin --query --xpath "//nvpair[@name=\'power_timeout\']"')).toContain('value="30"');
    expect(await master()).toBe(active);
    // And back to the declared lab configuration (the nvpair goes again).
    const back = await deploy();
    expect(back.code).toBe(0);
    expect(recap(back.stdout).pbx01.changed).toBe(1);
  }, 180_000);

  it('cluster_cib refuses to patch a CIB that changed after it was read, and changes nothing', async () => {
    // The module itself over a real ssh connection to a node, so the CIB can change between its
    // probe and its apply (a run never leaves that gap open long enough to hit).
    const target = resolveSshTarget(
      'pbx01',
      {
        ansible_host: '172.31.16.133',
        ansible_user: 'root',
        ansible_ssh_private_key_file: join(LAB, 'id_lab'),
        ansible_ssh_common_args: `-o UserKnownHostsFile=${join(LAB, 'known_hosts')}`,
      },
      { acceptNewHostKeys: false },
    );
    const conn = await SshConnection.open(target);
    const ctx = planContext({ host: 'pbx01' });
    const exec = execOn(conn, {});
    const timeout = () => onNode('pbx01', 'crm_attribute --type op_defaults --name timeout --query --quiet').trim();
    try {
      const args = { op_defaults: { timeout: '61s' } };
      const outcome = cluster_cib.plan(args, (await probeWith(exec, cluster_cib, args, ctx))!, ctx);
      expect(outcome.changed).toBe(true);
      onNode('pbx01', 'crm_attribute --type rsc_defaults --name engine-race --update 1');
      await expect(runSteps(exec, outcome.steps!, () => Promise.reject(new Error('no replan')))).rejects.toThrow(
        'the cluster configuration changed since it was read; run again',
      );
      expect(timeout()).toBe('60s');
    } finally {
      onNode('pbx01', 'crm_attribute --type rsc_defaults --name engine-race --delete >/dev/null 2>&1 || true');
      await conn.close();
    }
  }, 60_000);

  it('a power cut of the active node: fenced, VIP + storage + PBX move, SIP answers again, data, registrations and five established calls survive', async () => {
    const from = await master();
    const fencedLog = () => readFileSync(join(LAB, 'fenced.log'), 'utf8');
    const logBefore = fencedLog();
    // Each wait bounded well inside the test's time, so a failure reports what the command saw.
    const res = await ops('verify', 'failover', '--calls', '5', '--wait', '60', '--json');
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const report = JSON.parse(res.stdout);
    // Every call was known to the PBX before the cut and to the one that took over, and went on
    // through it (a re-INVITE, then a BYE, answered end to end); the media did not stop.
    expect(report.calls).toMatchObject({ placed: 5, knownBefore: 5, knownAfter: 5, reinvited: 5, ended: 5, kept: 5, errors: [] });
    expect(report.calls.longestMediaGapMs).toBeLessThan(1000);
    // The timeline, in the order a failover must happen (events polled from the cluster and
    // events seen by the client are each in order; how the two interleave is timing).
    const index = (what: string) => report.timeline.findIndex((e: { event: string }) => e.event.startsWith(what));
    const seenInCluster = [`power cut of ${from}`, `${from} lost`, `${from} fenced`, 'VIP up on'].map(index);
    const seenByClient = ['SIP answered on the VIP', 'calls answering again', `${from} back in the cluster`].map(index);
    expect(
      [...seenInCluster, ...seenByClient].every((i) => i >= 0),
      JSON.stringify(report.timeline),
    ).toBe(true);
    expect(seenInCluster[0]).toBe(0);
    expect(seenInCluster).toEqual([...seenInCluster].sort((a, b) => a - b));
    expect(seenByClient).toEqual([...seenByClient].sort((a, b) => a - b));
    expect(report.from).toBe(from);
    expect(report.to).not.toBe(from);
    expect(report.dataIntact).toBe(true);
    expect(report.fenced).toBe(true);
    // How fast is the benchmark's business (bench/); here: it answered again, from the new node.
    expect(report.answer).toBe(`SIP/2.0 200 OK from ${report.to}`);
    // Fenced through IPMI: fence_ipmilan on a node found the cut node's power off at its BMC and
    // had the BMC power it on again (a reboot); the BMC asked the lab's power daemon.
    expect(fencedLog().slice(logBefore.length)).toMatch(new RegExp(`^\\S+ on ${from} from bmc-${from}: rc 0 powered on$`, 'm'));
    expect(await master()).toBe(report.to);
    expect(vipHolders()).toEqual([report.to]);
    expect(await sipOptions(VIP, 5060, 1000, 'alice')).toBe(`SIP/2.0 200 OK registered ${report.to}`);
    console.log(
      `crash failover: SIP answered again after ${report.sipSeconds.toFixed(2)} s; ${from} back after ${report.rejoinedSeconds.toFixed(1)} s; calls kept ${report.calls.kept}/5, longest media gap ${report.calls.longestMediaGapMs} ms\n${report.timeline.map((e: { seconds: number; event: string }) => `${e.seconds.toFixed(2).padStart(8)}  ${e.event}`).join('\n')}`,
    );
    await waitAllOnline(90_000);
    // Stickiness: the node that came back does not take the PBX back.
    expect(await master()).toBe(report.to);
  }, 240_000);

  it('a partitioned active node loses quorum; the VIP is never on two nodes; service continues elsewhere', async () => {
    const isolated = await master();
    const cut = Date.now();
    expect((await lab('partition', isolated)).code).toBe(0);
    const samples: string[][] = [];
    let answeredBy: string | undefined;
    // Where the VIP is, sampled until another node answers and at least 20 times (also after the
    // answer), however fast the move is.
    while (Date.now() - cut < 30_000 && !(answeredBy && samples.length >= 20)) {
      const holders = vipHolders();
      samples.push(holders);
      expect(holders.length, `VIP on ${holders.join(' and ')}`).toBeLessThanOrEqual(1);
      const answer = answeredBy ? undefined : await sipOptions(VIP, 5060, 200);
      if (answer && !answer.endsWith(isolated)) answeredBy = answer;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(answeredBy).toMatch(/^SIP\/2\.0 200 OK from pbx0/);
    expect(samples.length).toBeGreaterThanOrEqual(20);
    // The isolated node noticed that it had lost quorum (its own Pacemaker log, kept on its disk).
    const logFile = join(LAB, 'nodes', isolated, 'upper/var/log/pacemaker/pacemaker.log');
    const deadline = Date.now() + 20_000;
    while (!(existsSync(logFile) && /Quorum lost|no quorum|Ignoring .*no-quorum/i.test(readFileSync(logFile, 'utf8'))) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 500));
    expect(readFileSync(logFile, 'utf8')).toMatch(/Quorum lost|no quorum/i);
    console.log(`partition of ${isolated}: SIP answered by another node after ${((Date.now() - cut) / 1000).toFixed(1)} s (${answeredBy})`);
    await lab('heal');
    await waitAllOnline(120_000);
  }, 240_000);

  it('the PBX runtime is one declared choice: docker -> service command and back, with SIP answered after each', async () => {
    const vars = labVars(LAB, 'service-vars.yml', (t) => t.replace('pbx_runtime: docker', 'pbx_runtime: service'));
    const service = await deploy('-e', `site_vars=${vars}`);
    expect(service.code, service.stdout.slice(-3000)).toBe(0);
    expect((await ops('status')).stdout).toMatch(/pbx\s+ocf:heartbeat:anything\s+Started\s+pbx0/);
    expect(await sipOptions(VIP, 5060, 1000)).toMatch(/^SIP\/2\.0 200 OK from pbx0/);
    const back = await deploy();
    expect(back.code, back.stdout.slice(-3000)).toBe(0);
    expect((await ops('status')).stdout).toMatch(/pbx\s+ocf:heartbeat:docker\s+Started\s+pbx0/);
    const deadline = Date.now() + 30_000;
    let answer: string | undefined;
    while (!answer && Date.now() < deadline) answer = await sipOptions(VIP, 5060, 500);
    expect(answer).toMatch(/^SIP\/2\.0 200 OK from pbx0/);
  }, 180_000);

  it('upgrades the PBX image: standbys first, one switchover onto the new image, the old active last; calls held through it are kept, and a client with RFC 3261 timers sees no failed transaction', async () => {
    const vars = labVars(LAB, 'upgrade-vars.yml', (t) => t.replace('pbx_image: pbx-kamailio:lab', 'pbx_image: pbx-kamailio:lab2'));
    const upgrade = (...args: string[]) => engine(['run', join(ROOT, 'playbooks/upgrade.yml'), '-i', INVENTORY, '-e', `site_vars=${vars}`, ...args], env);
    const image = () => onNode('pbx01', 'crm_resource --resource pbx --get-parameter image').trim();
    const before = await master();

    // An unclean cluster (a failed action) is refused before anything changes.
    const standby = NODES.find((n) => n !== before)!;
    onNode('pbx01', `crm_resource --fail --resource vip --node ${standby} >/dev/null 2>&1 || true`);
    try {
      for (const deadline = Date.now() + 30_000; (await ops('status')).code !== 2; await new Promise((r) => setTimeout(r, 500))) {
        if (Date.now() > deadline) throw new Error('the injected failure never showed in status');
      }
      const refused = await upgrade();
      expect(refused.code, refused.stdout.slice(-3000)).toBe(2);
      expect(refused.stdout).toContain('there are failed actions');
      expect(changedTasks(refused.stdout)).toEqual([]);
      expect(image()).toBe('pbx-kamailio:lab');
    } finally {
      onNode('pbx01', 'crm_resource --cleanup --resource vip >/dev/null 2>&1 || true');
    }
    await waitAllOnline(90_000);

    // The first failure (the new image cannot be imported on the first standby) stops the run
    // there, with the cluster serving on the old image.
    const broken = await upgrade('-e', 'pbx_image_archive=/var/lib/lab-images/missing.tar');
    expect(broken.code, broken.stdout.slice(-3000)).toBe(2);
    expect(broken.stdout).not.toContain('TASK [Move the PBX and switch it to the new image in one step]');
    expect(image()).toBe('pbx-kamailio:lab');
    expect(await master()).toBe(before);
    expect(await sipOptions(VIP, 5060, 2000)).toBe(`SIP/2.0 200 OK from ${before}`);

    const plan = await upgrade('--check', '-e', 'upgrade_test_calls=3');
    expect(plan.code, plan.stdout.slice(-3000)).toBe(0);
    expect(plan.stdout).toContain(
      `image pbx-kamailio:lab2: standby nodes ${NODES.filter((n) => n !== before).join(', ')} one at a time, then a switchover away from ${before} onto the new image, then ${before}`,
    );
    expect(image()).toBe('pbx-kamailio:lab');
    // The dry run says it would hold the calls, and places none.
    expect(plan.stdout).toContain('3 test calls through 172.31.16.130:5060, held up to 600 s');
    expect(plan.stdout).not.toContain('"placed"');

    // The playbook holds three calls through the whole upgrade (its health checks ask the PBX
    // on the VIP for them after every step), and a client with RFC 3261 timers asks the VIP all along.
    const client = transactionClient();
    const run = await upgrade('-e', 'upgrade_test_calls=3');
    expect(run.code, run.stdout.slice(-4000)).toBe(0);
    expect(changedTasks(run.stdout)).toEqual(changedTasks(plan.stdout));
    const asked = await client();
    const kept = run.stdout.match(/calls kept (\d+)\/3/)?.[0];
    console.log(
      `upgrade: ${asked.failed} of ${asked.total} SIP transactions failed, slowest answered after ${asked.slowestMs} ms (${asked.answeredBy.join(' then ')}); ${kept}`,
    );
    expect(kept).toBe('calls kept 3/3');
    // Asked after every step: before, after each standby, after the switchover, at the end.
    expect(run.stdout.match(/=> \{"held":3,"known":3\}/g)).toHaveLength(5);
    expect(asked.failed).toBe(0);
    expect(image()).toBe('pbx-kamailio:lab2');
    const after = await master();
    expect(after).not.toBe(before);
    expect(onNode(after, "docker inspect -f '{{.Config.Image}}' pbx").trim()).toBe('pbx-kamailio:lab2');
    for (const node of NODES) expect(onNode(node, 'docker image inspect pbx-kamailio:lab2 >/dev/null && echo present').trim()).toBe('present');
    expect(onNode('pbx01', 'cibadmin --query --xpath "//rsc_location[starts-with(@id, \'cli-\')]" >/dev/null 2>&1 || echo none').trim()).toBe('none');
    // The site now says lab2 everywhere: deploy agrees and changes nothing.
    const deployAfter = await deploy('-e', `site_vars=${vars}`);
    expect(deployAfter.code).toBe(0);
    for (const [host, st] of Object.entries(recap(deployAfter.stdout, NODES))) expect(st.changed, `${host} changed`).toBe(0);
    // Back to the lab's declared image, so the next tests start from the declared cluster.
    const restore = await deploy();
    expect(restore.code, restore.stdout.slice(-2000)).toBe(0);
    expect(image()).toBe('pbx-kamailio:lab');
  }, 300_000);

  it('grows the data filesystem online after its volume was made bigger: --check --diff shows the sizes, the run grows it on the active node, a second run changes nothing', async () => {
    const grow = (...args: string[]) => engine(['run', join(ROOT, 'playbooks/grow-data.yml'), '-i', INVENTORY, ...args], env);
    const active = await master();
    const size = () => Number(onNode(active, 'df -B1M --output=size /var/lib/pbx | tail -n 1').trim());
    const startedAt = () => onNode(active, "docker inspect -f '{{.State.StartedAt}}' pbx").trim();
    const pbxStarted = startedAt();
    const before = size();
    expect(before).toBeLessThan(512);
    // The volume is made bigger underneath the running cluster (a bigger loop image, as an EBS
    // modify-volume grows the NVMe device in place).
    const image = join(LAB, 'shared.img');
    const loop = spawnSync('losetup', ['-j', image], { encoding: 'utf8' }).stdout.split(':')[0].trim();
    expect(spawnSync('truncate', ['-s', '768M', image]).status).toBe(0);
    expect(spawnSync('losetup', ['-c', loop]).status).toBe(0);

    const plan = await grow('--check', '--diff');
    expect(plan.code, plan.stdout.slice(-3000)).toBe(0);
    expect(plan.stdout).toMatch(/^-\/dev\/xvdf: xfs, 512 MiB$/m);
    expect(plan.stdout).toMatch(/^\+\/dev\/xvdf: xfs, 768 MiB$/m);
    expect(changedTasks(plan.stdout)).toEqual([`${active} | The filesystem fills its device`]);
    expect(size()).toBe(before);

    const run = await grow();
    expect(run.code, run.stdout.slice(-3000)).toBe(0);
    expect(changedTasks(run.stdout)).toEqual(changedTasks(plan.stdout));
    expect(size()).toBeGreaterThan(700);
    // Online: the PBX kept running where it was, and answers.
    expect(await master()).toBe(active);
    expect(startedAt()).toBe(pbxStarted);
    expect(await sipOptions(VIP, 5060, 1000)).toBe(`SIP/2.0 200 OK from ${active}`);

    const again = await grow('--json');
    expect(again.code, again.stdout.slice(-3000)).toBe(0);
    expect(changedTasksOfJson(again.stdout)).toEqual([]);
    const fills = jsonEvents(again.stdout).find((e) => e.kind === 'host_result' && e.task === 'The filesystem fills its device' && e.host === active);
    expect(fills?.msg).toMatch(/^xfs on \/dev\/xvdf already fills the device \(76\d MiB of 768 MiB\)$/);
    console.log(`data volume grown online on ${active}: ${before} -> ${size()} MiB (df)`);
  }, 120_000);

  it('generates a DRBD configuration that drbdadm accepts, and a promotable-clone CIB that crm_verify accepts', async () => {
    const dir = project({
      'drbd.yml': `- hosts: pbx
  gather_facts: false
  vars_files: ["${join(ROOT, 'inventory/lab-vars.yml')}"]
  vars:
    cluster_nodes: [{ name: pbx01, addr: 172.31.16.133 }, { name: pbx02, addr: 172.31.16.134 }, { name: "{{ bad_third | default('pbx03') }}", addr: 172.31.16.135 }]
    cluster_node_names: "{{ cluster_nodes | map(attribute='name') | list }}"
    pbx_datapath_disk: /dev/sdb
    drbd_resource: pbxdata
    drbd_device: /dev/drbd0
    drbd_port: 7789
    drbd_shared_secret: ${LAB_DRBD_SECRET}
  tasks:
    - include_role: { name: storage, tasks_from: drbd_config }
`,
    });
    const good = await engine(['run', join(dir, 'drbd.yml'), '-i', INVENTORY], env);
    expect(good.code, good.stdout.slice(-2000)).toBe(0);
    expect(onNode('pbx02', 'drbdadm dump pbxdata 2>/dev/null')).toMatch(/on pbx03 \{[\s\S]*node-id\s+2;/);
    expect(onNode('pbx02', 'cat /etc/drbd.d/pbxdata.res')).toContain('on-no-quorum io-error;');
    // Two nodes named alike: drbdadm refuses, the old file stays.
    const bad = await engine(['run', join(dir, 'drbd.yml'), '-i', INVENTORY, '-e', 'bad_third=pbx02'], env);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toMatch(/validat/i);
    expect(onNode('pbx02', 'cat /etc/drbd.d/pbxdata.res')).toContain('on pbx03 {');

    const plan = await deploy('--check', '--diff', '--role', 'pcs_resources', '-e', 'storage=drbd', '-e', `drbd_shared_secret=${LAB_DRBD_SECRET}`);
    expect(plan.code, plan.stdout.slice(-3000)).toBe(0);
    expect(plan.stdout).toContain('+  <clone id="drbd_data-clone">');
    expect(plan.stdout).toContain('name="promotable" value="true"');
    expect(plan.stdout).toMatch(
      /\+\s+<rsc_colocation id="colocation-datapath_fs-drbd_data-clone-INFINITY" rsc="datapath_fs" score="INFINITY" with-rsc="drbd_data-clone" with-rsc-role="Promoted"\/>/,
    );
    expect(plan.stdout).toMatch(/\+\s+<rsc_order first="drbd_data-clone" first-action="promote" id="order-drbd_data-clone-datapath_fs-Mandatory"/);
    expect(plan.stdout).not.toMatch(/crm_verify rejects/);
  }, 120_000);

  it('against an AWS inventory (EC2 emulator; the lab nodes play the instances), --check --diff shows the EBS / Elastic IP / VIP resources it would create and changes nothing', async () => {
    const moto = await startMoto();
    try {
      const ec2 = await import('@aws-sdk/client-ec2');
      const aws = await seedPbxVpc(ec2, new ec2.EC2Client({ region: 'us-east-1', endpoint: moto.endpoint }));
      const labInventory = readFileSync(LAB_INVENTORY, 'utf8');
      const vars = labVars(
        LAB,
        'aws-vars.yml',
        (t) =>
          t
            .replace('storage: shared_block', 'storage: ebs')
            .replace('vip: 172.31.16.130', 'vip: "{{ private_vip_address }}"')
            .replace(
              /fence_devices:\n( {2}.*\n)+/,
              `fence_devices:\n  - id: fence_aws\n    agent: stonith:fence_aws\n    params: { region: us-east-1, pcmk_host_map: "${aws.ids.map((id, i) => `pbx0${i + 1}:${id}`).join(';')}" }\n`,
            ) +
          `private_vip_address: 172.31.16.130\naws_region: us-east-1\naws_endpoint: ${moto.endpoint}\n` +
          aws.ids.map((id, i) => `pbx0${i + 1}_instance_id: ${id}\n`).join('') +
          `eip_address: ${aws.eip}\neip_allocation_id: ${aws.allocation}\nebs_volume_id: ${aws.volume}\n`,
      );
      const inventory = join(LAB, 'aws.yml');
      const fromLabInventory = (name: string) => labInventory.match(new RegExp(`${name}: (.*)`))![1];
      writeFileSync(
        inventory,
        `plugin: aws_ec2
regions: [us-east-1]
endpoint: ${moto.endpoint}
filters: { "tag:Cluster": pbx-ha }
hostnames: [tag:Name]
groups: { pbx: "tags.Role == 'pbx'" }
vars:
  ansible_user: root
  ansible_ssh_private_key_file: ${fromLabInventory('ansible_ssh_private_key_file')}
  ansible_ssh_common_args: ${fromLabInventory('ansible_ssh_common_args')}
  lab: true
  site_vars: ${vars}
`,
      );
      const epoch = () => onNode('pbx01', 'cibadmin --query --xpath /cib --no-children').match(/ epoch="(\d+)"/)![1];
      const before = epoch();
      const plan = await engine(['run', DEPLOY, '-i', inventory, '--check', '--diff'], { ...env, ...AWS_TEST_ENV });
      expect(plan.code, plan.stdout.slice(-4000)).toBe(0);
      expect(plan.stdout).toContain('TASK [preflight : AWS prerequisites through the EC2 API');
      expect(plan.stdout).toMatch(/\+\s+<primitive class="ocf" id="ebs" provider="pbx" type="awsebs">/);
      expect(plan.stdout).toContain(`name="volume_id" value="${aws.volume}"`);
      expect(plan.stdout).toMatch(/\+\s+<primitive class="ocf" id="privip" provider="heartbeat" type="awsvip">/);
      expect(plan.stdout).toMatch(/\+\s+<primitive class="ocf" id="eip" provider="heartbeat" type="awseip">/);
      expect(plan.stdout).toContain(`name="allocation_id" value="${aws.allocation}"`);
      expect(plan.stdout).toMatch(/\+\s+<primitive class="stonith" id="fence_aws" type="fence_aws">/);
      expect(plan.stdout).toContain(`value="/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${aws.volume.replace('-', '')}"`);
      expect(plan.stdout).toMatch(/\+\s+<rsc_order first="ebs" first-action="start" id="order-ebs-datapath_fs-Mandatory"/);
      expect(plan.stdout).not.toMatch(/crm_verify rejects/);
      expect(epoch()).toBe(before);
      expect(onNode('pbx01', 'test -e /usr/lib/ocf/resource.d/pbx/awsebs && echo present || echo absent').trim()).toBe('absent');
    } finally {
      await moto.stop();
    }
  }, 180_000);

  it('replaces a node: the changed node list shows as a diff, then nodes leave and join the running cluster', async () => {
    const vars = labVars(LAB, 'replaced-vars.yml', (t) =>
      t
        .replace('pbx03_hostname: pbx03', 'pbx03_hostname: pbx04')
        .replace('pbx03_private_ip: 172.31.16.135', 'pbx03_private_ip: 172.31.16.136')
        .replace('"pbx01 pbx02 pbx03"', '"pbx01 pbx02 pbx04"'),
    );
    const replaced = join(LAB, 'replaced.yml');
    writeFileSync(
      replaced,
      readFileSync(LAB_INVENTORY, 'utf8')
        .split('\n')
        .filter((l) => !l.includes('pbx03:'))
        .map((l) => l.replace(/site_vars: .*/, `site_vars: ${vars}`))
        .join('\n'),
    );
    // The node replaced is a standby, so the running PBX's checks below always apply.
    if ((await master()) === 'pbx03') expect((await ops('switchover', '--to', 'pbx01')).code).toBe(0);
    const active = await master();
    expect(active).not.toBe('pbx03');
    const pbxStarted = () => onNode(active, "docker inspect -f '{{.State.StartedAt}}' pbx").trim();
    const startedBefore = pbxStarted();
    const conf = () => onNode('pbx01', 'cat /etc/corosync/corosync.conf');
    const before = conf();

    // pbx03 still runs: its removal needs --yes, in a dry run as in a real one, and nothing changes.
    for (const args of [['--check'], []]) {
      const refused = await engine(['run', DEPLOY, '-i', replaced, ...args], env);
      expect(refused.code, refused.stdout.slice(-3000)).toBe(2);
      expect(refused.stdout).toContain('pbx03 is online: removing a running node from the cluster needs --yes');
      expect(conf()).toBe(before);
    }
    const check = await engine(['run', DEPLOY, '-i', replaced, '--check', '--diff', '--yes'], env);
    expect(check.code, check.stdout.slice(-3000)).toBe(0);
    expect(check.stdout).toMatch(/-\s+ring0_addr: 172\.31\.16\.135\n-\s+name: pbx03\n\+\s+ring0_addr: 172\.31\.16\.136\n\+\s+name: pbx04/);
    expect(conf()).toBe(before);

    const apply = await engine(['run', DEPLOY, '-i', replaced, '--yes'], env);
    expect(apply.code, apply.stdout.slice(-12000)).toBe(0);
    const status = JSON.parse((await engine(['status', '--json', '-i', replaced], env)).stdout);
    expect(status.nodes.map((n: { name: string; online: boolean }) => `${n.name}:${n.online}`).sort()).toEqual(['pbx01:true', 'pbx02:true', 'pbx04:true']);
    expect(onNode('pbx04', 'cat /etc/corosync/corosync.conf')).toBe(conf());
    expect(conf()).toContain('name: pbx04');
    // The cluster was not created again: its configuration and the running PBX stayed.
    expect((await engine(['master', '-i', replaced], env)).stdout.trim()).toBe(active);
    // The new node got the PBX's files; the running PBX elsewhere was not restarted for that.
    expect(pbxStarted()).toBe(startedBefore);
    expect(await sipOptions(VIP, 5060, 1000)).toMatch(/^SIP\/2\.0 200 OK from pbx0[124]$/);

    const again = await engine(['run', DEPLOY, '-i', replaced], env);
    expect(again.code).toBe(0);
    for (const [host, s] of Object.entries(recap(again.stdout, ['pbx01', 'pbx02', 'pbx04']))) expect(s.changed, `${host} changed`).toBe(0);

    // Last of all (it leaves the cluster without quorum, and nothing runs after it): status
    // exits 2 when the node it asks has no quorum.
    for (const n of ['pbx02', 'pbx04']) onNode(n, 'systemctl stop pacemaker corosync');
    const alone = await engine(['status', '--json', '-i', replaced], env);
    expect(alone.code, alone.stdout + alone.stderr).toBe(2);
    expect(JSON.parse(alone.stdout).quorate).toBe(false);
  }, 300_000);
});
