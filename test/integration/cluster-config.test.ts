// What the cluster roles generate, checked by the real tools without a running cluster: the
// corosync.conf template against pcs's own output, CIBs against crm_verify, vars.yml against its
// schema, and the Jinja2 features the roles rely on.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Templar } from '../../engine/core/load/template/templar';
import { VarScope } from '../../engine/core/load/template/scope';
import { desiredCib, type ResourceSpec } from '../../engine/cluster/cib/build';
import { parseXml, serialize } from '../../engine/cluster/cib/xml';
import { engine, project, recap } from '../helpers/engine';

const ROOT = resolve(__dirname, '../..');
const LOCAL_INVENTORY = 'all:\n  hosts:\n    localhost: { ansible_connection: local }\n';
const NODES = [
  { name: 'pbx01', addr: '172.31.16.133' },
  { name: 'pbx02', addr: '172.31.16.134' },
  { name: 'pbx03', addr: '172.31.16.135' },
];

describe('corosync.conf', () => {
  for (const coefficient of [undefined, 0]) {
    it(`the role's template writes the same bytes as pcs cluster setup (token_coefficient ${coefficient ?? 'unset'})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'corosync-'));
      const nodeArgs = NODES.flatMap((n) => [n.name, `addr=${n.addr}`]);
      const totem = ['totem', 'token=1500', ...(coefficient === undefined ? [] : [`token_coefficient=${coefficient}`])];
      execFileSync(
        'pcs',
        ['cluster', 'setup', 'pbx_lab', ...nodeArgs, 'transport', 'knet', ...totem, '--no-cluster-uuid', '--corosync_conf', join(dir, 'pcs.conf')],
        { stdio: 'pipe' },
      );
      const vars = {
        cluster_name: 'pbx_lab',
        corosync_transport: 'knet',
        corosync_token: 1500,
        corosync_token_coefficient: coefficient ?? null,
        cluster_nodes: NODES,
      };
      const p = project({
        'inv.yml': LOCAL_INVENTORY,
        'play.yml': `- hosts: localhost\n  gather_facts: false\n  tasks:\n    - template: { src: ${ROOT}/roles/corosync/templates/corosync.conf.j2, dest: ${dir}/ours.conf }\n`,
      });
      const run = await engine(['run', join(p, 'play.yml'), '-i', join(p, 'inv.yml'), '-e', JSON.stringify(vars)]);
      expect(run.code, run.stdout).toBe(0);
      expect(readFileSync(join(dir, 'ours.conf'), 'utf8')).toBe(readFileSync(join(dir, 'pcs.conf'), 'utf8'));
    });
  }
});

const LAB_RESOURCES: ResourceSpec[] = [
  {
    id: 'fence_pbx01',
    agent: 'stonith:fence_ipmilan',
    params: { ip: '172.31.16.233', username: 'admin', lanplus: 1, ipmitool_path: '/usr/local/sbin/pbx-ipmitool', pcmk_host_list: 'pbx01' },
  },
  {
    id: 'datapath_fs',
    agent: 'ocf:heartbeat:Filesystem',
    params: { device: '/dev/xvdf', directory: '/var/lib/pbx', fstype: 'ext4' },
    ops: [{ name: 'monitor', interval: '10s' }],
  },
  { id: 'vip', agent: 'ocf:heartbeat:IPaddr2', params: { ip: '172.31.16.130', cidr_netmask: 20 }, ops: [{ name: 'monitor', interval: '5s' }] },
  { id: 'pbx', agent: 'ocf:heartbeat:anything', params: { binfile: '/usr/local/sbin/pbx-run' }, ops: [{ name: 'monitor', interval: '5s' }] },
];
const CHAIN = [
  { colocation: { rsc: 'vip', with: 'datapath_fs' } },
  { order: { first: 'datapath_fs', then: 'vip' } },
  { colocation: { rsc: 'pbx', with: 'vip' } },
  { order: { first: 'vip', then: 'pbx' } },
];

function crmVerify(xml: string): { ok: boolean; output: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'cib-')), 'cib.xml');
  writeFileSync(file, xml);
  const res = spawnSync('crm_verify', ['--xml-file', file, '-V'], { encoding: 'utf8' });
  return { ok: res.status === 0, output: res.stdout + res.stderr };
}

describe('cluster_cib', () => {
  const empty = () => parseXml(execFileSync('cibadmin', ['--empty'], { encoding: 'utf8' }));

  it('builds the lab layout and the DRBD layout as CIBs crm_verify accepts', () => {
    const lab = desiredCib(empty(), {
      properties: { 'stonith-enabled': true, 'no-quorum-policy': 'stop' },
      resource_defaults: { 'resource-stickiness': 100 },
      resources: LAB_RESOURCES,
      constraints: CHAIN,
    });
    expect(crmVerify(serialize(lab.cib))).toEqual({ ok: true, output: '' });
    const drbd = desiredCib(empty(), {
      properties: { 'stonith-enabled': true },
      resources: [
        {
          id: 'drbd_data',
          agent: 'ocf:linbit:drbd',
          params: { drbd_resource: 'pbxdata' },
          ops: [
            { name: 'monitor', interval: '29s', role: 'Promoted' },
            { name: 'monitor', interval: '31s', role: 'Unpromoted' },
          ],
          promotable: { 'promoted-max': 1, notify: true },
        },
        ...LAB_RESOURCES,
      ],
      constraints: [
        { colocation: { rsc: 'datapath_fs', with: 'drbd_data-clone', with_role: 'Promoted' } },
        { order: { first: 'drbd_data-clone', first_action: 'promote', then: 'datapath_fs' } },
        ...CHAIN,
      ],
    });
    const xml = serialize(drbd.cib);
    expect(xml).toContain('<clone id="drbd_data-clone">');
    expect(xml).toContain('<op id="drbd_data-monitor-Promoted-interval-29s" interval="29s" name="monitor" role="Promoted"/>');
    const verdict = crmVerify(xml);
    expect(verdict.ok, verdict.output).toBe(true);
  });

  it('crm_verify rejects a configuration that is wrong (a constraint on a resource that does not exist)', () => {
    const bad = desiredCib(empty(), { resources: LAB_RESOURCES, constraints: [{ order: { first: 'datapath_fs', then: 'vpi' } }] });
    expect(crmVerify(serialize(bad.cib)).ok).toBe(false);
  });

  it('keeps what it does not manage, reports undeclared resources, removes them only when asked', () => {
    // A live CIB written by hand (not by the code under test): a property Pacemaker set, a resource
    // and a constraint nobody declared, and the cli-prefer-* constraint crm_resource --move leaves
    // (it belongs to the operator's move).
    const live = parseXml(`<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="7" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="cib-bootstrap-options-dc-version" name="dc-version" value="2.1.5"/>
      </cluster_property_set>
    </crm_config>
    <nodes/>
    <resources>
      <primitive id="legacy" class="ocf" provider="heartbeat" type="Dummy"/>
    </resources>
    <constraints>
      <rsc_location id="location-pbx-pbx01-50" rsc="pbx" node="pbx01" score="50"/>
      <rsc_location id="cli-prefer-pbx" rsc="pbx" node="pbx02" score="INFINITY"/>
    </constraints>
  </configuration>
  <status/>
</cib>`);
    const kept = desiredCib(live, { properties: { 'stonith-enabled': true }, resources: LAB_RESOURCES, constraints: CHAIN });
    expect(kept.undeclared).toEqual(['primitive legacy', 'rsc_location location-pbx-pbx01-50']);
    const keptXml = serialize(kept.cib);
    expect(keptXml).toContain('id="legacy"');
    expect(keptXml).toContain('name="dc-version" value="2.1.5"');
    expect(keptXml).toContain('cli-prefer-pbx');
    const removed = serialize(desiredCib(live, { resources: LAB_RESOURCES, constraints: CHAIN, remove_undeclared: true }).cib);
    expect(removed).not.toContain('id="legacy"');
    expect(removed).not.toContain('location-pbx-pbx01-50');
    expect(removed).toContain('cli-prefer-pbx');
    // absent drops exactly the elements it names (never a cli-* one), with or without a declaration.
    const upgraded = serialize(desiredCib(live, { constraints: CHAIN, absent: ['location-pbx-pbx01-50', 'cli-prefer-pbx'] }).cib);
    expect(upgraded).not.toContain('location-pbx-pbx01-50');
    expect(upgraded).toContain('cli-prefer-pbx');
    expect(upgraded).toContain('id="legacy"');
    const onlyAbsent = serialize(desiredCib(live, { absent: ['legacy'] }).cib);
    expect(onlyAbsent).not.toContain('id="legacy"');
    expect(onlyAbsent).toContain('location-pbx-pbx01-50');
    expect(() => desiredCib(live, { resources: LAB_RESOURCES, absent: [LAB_RESOURCES[0].id] })).toThrow(/declared and absent at once/);
  });

  it('a parameter value that looks like XML stays one attribute value (escaped), never more CIB', () => {
    const evil = '"/><primitive id="evil" class="ocf" provider="heartbeat" type="Dummy"/><x a="&amp; <\'>';
    const cib = desiredCib(empty(), { resources: [{ id: 'vip', agent: 'ocf:heartbeat:IPaddr2', params: { ip: evil } }] }).cib;
    const xml = serialize(cib);
    const back = parseXml(xml);
    const resources = back.children.find((c) => c.name === 'configuration')!.children.find((c) => c.name === 'resources')!;
    expect(resources.children.map((r) => r.attrs.id)).toEqual(['vip']);
    const pair = resources.children[0].children[0].children[0];
    expect(pair.attrs).toMatchObject({ name: 'ip', value: evil });
    expect(crmVerify(xml).output).not.toMatch(/evil/);
  });

  it('changing one parameter changes one line of the configuration', () => {
    const before = serialize(desiredCib(empty(), { resources: LAB_RESOURCES, constraints: CHAIN }).cib).split('\n');
    const changed = LAB_RESOURCES.map((r) => (r.id === 'vip' ? { ...r, params: { ...r.params, cidr_netmask: 24 } } : r));
    const after = serialize(desiredCib(empty(), { resources: changed, constraints: CHAIN }).cib).split('\n');
    expect(after.length).toBe(before.length);
    expect(after.filter((line, i) => line !== before[i]).map((l) => l.trim())).toEqual([
      '<nvpair id="vip-instance_attributes-cidr_netmask" name="cidr_netmask" value="24"/>',
    ]);
  });
});

describe('vars.yml', () => {
  /** The deploy's dry run with the site vars of `dir`, against an inventory, with more arguments. */
  const checkDeploy = (dir: string, inventory: string, ...extra: string[]) =>
    engine(['run', join(ROOT, 'playbooks/deploy.yml'), '-i', inventory, '-e', `site_vars=${join(dir, 'vars.yml')}`, ...extra, '--check']);

  async function deployWith(varsText: string) {
    const dir = project({
      'inv.yml': 'all:\n  children:\n    pbx:\n      hosts:\n        localhost: { ansible_connection: local }\n',
      'vars.yml': varsText.replace('$schema=vars.schema.json', `$schema=${ROOT}/vars.schema.json`),
    });
    const run = await checkDeploy(dir, join(dir, 'inv.yml'));
    return { ...run, dir };
  }

  it('the shipped vars.yml, lab-vars.yml and aws-vars.yml satisfy the schema', () => {
    const Ajv = require('ajv').default;
    const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(join(ROOT, 'vars.schema.json'), 'utf8')));
    for (const file of ['vars.yml', 'inventory/lab-vars.yml', 'inventory/aws-vars.yml']) {
      const data = require('yaml').parse(readFileSync(join(ROOT, file), 'utf8'), { version: '1.1' });
      expect(validate(data), `${file}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('a mistake in vars.yml stops the run before any task, naming file, line and field', async () => {
    const good = readFileSync(join(ROOT, 'vars.yml'), 'utf8');
    const typo = await deployWith(good.replace('storage: drbd', 'storgae: drbd'));
    expect(typo.code).toBe(5);
    expect(typo.stderr).toMatch(/vars\.yml:\d+:1: field 'storgae': unknown field 'storgae' \(did you mean 'storage'/);
    expect(typo.stdout).not.toContain('TASK [');
    const badIp = await deployWith(good.replace('vip: 172.31.16.130', 'vip: 172.31.16.300'));
    expect(badIp.code).toBe(5);
    const line = good.split('\n').findIndex((l) => l.startsWith('vip:')) + 1;
    expect(badIp.stderr).toContain(`vars.yml:${line}:6: field 'vip'`);
    const badEnum = await deployWith(good.replace('pbx_runtime: docker', 'pbx_runtime: dockr'));
    expect(badEnum.stderr).toMatch(/field 'pbx_runtime': must be one of: "docker", "podman", "service"/);
  });

  it('a site value that would inject is refused wherever it comes from: vars file, -e, inventory, or a template', async () => {
    const good = readFileSync(join(ROOT, 'vars.yml'), 'utf8');
    const marker = join(tmpdir(), `injected-${process.pid}-${Date.now()}`);
    const evil = `/dev/sdb;touch ${marker}`;
    const inFile = await deployWith(good.replace('pbx_datapath_disk: /dev/sdb', `pbx_datapath_disk: "${evil}"`));
    expect(inFile.code).toBe(5);
    expect(inFile.stderr).toMatch(/vars\.yml:\d+:\d+: field 'pbx_datapath_disk': must match/);
    // From here on the vars file is good; the value comes from elsewhere.
    writeFileSync(join(inFile.dir, 'vars.yml'), good.replace('$schema=vars.schema.json', `$schema=${ROOT}/vars.schema.json`));
    const viaE = await checkDeploy(inFile.dir, join(inFile.dir, 'inv.yml'), '-e', JSON.stringify({ pbx_datapath_disk: evil }));
    expect(viaE.code).toBe(5);
    expect(viaE.stderr).toMatch(/field 'pbx_datapath_disk': given with -e: must match/);
    const templated = await checkDeploy(
      inFile.dir,
      join(inFile.dir, 'inv.yml'),
      '-e',
      `{"vip_nic": "{{ nic_from_elsewhere }}", "nic_from_elsewhere": "eth0;reboot"}`,
    );
    expect(templated.code).toBe(5);
    expect(templated.stderr).toMatch(/field 'vip_nic': .*rendered for localhost: "eth0;reboot"/);
    const invFile = join(inFile.dir, 'inv-evil.yml');
    writeFileSync(
      invFile,
      `all:\n  children:\n    pbx:\n      hosts:\n        localhost:\n          ansible_connection: local\n          drbd_device: "${evil}"\n`,
    );
    // vars files beat inventory in Ansible's precedence: the inventory value must lose to vars.yml's
    // drbd_device to be harmless; a site without it in vars.yml takes the inventory's, refused.
    writeFileSync(join(inFile.dir, 'vars.yml'), good.replace('$schema=vars.schema.json', `$schema=${ROOT}/vars.schema.json`).replace(/^drbd_device:.*$/m, ''));
    const viaInventory = await checkDeploy(inFile.dir, invFile);
    expect(viaInventory.code).toBe(5);
    expect(viaInventory.stderr).toMatch(/inv-evil\.yml:7:\d+: field 'drbd_device': must match/);
    for (const run of [inFile, viaE, templated, viaInventory]) expect(run.stdout).not.toContain('TASK [');
    expect(existsSync(marker)).toBe(false);
  });

  it('preflight refuses a cluster that is not three nodes, with the reason', async () => {
    const run = await deployWith(readFileSync(join(ROOT, 'vars.yml'), 'utf8'));
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('the pbx group has 1 hosts; a PBX HA cluster needs three');
    expect(recap(run.stdout).localhost.failed).toBe(1);
  });
});

describe('Jinja2 features the roles use', () => {
  const t = new Templar();
  const render = (expr: string, vars: Record<string, unknown> = {}) => t.renderValue(expr, new VarScope(vars, t), 'test');

  it('nested dict literals, list concatenation, keyword arguments', () => {
    expect(render("{{ {'a': {'b': [1, {'c': 2}]}} }}")).toEqual({ a: { b: [1, { c: 2 }] } });
    expect(render("x={% set d = {'a': {'b': 1}} %}{{ d.a.b }}")).toBe('x=1');
    expect(render("{{ '}}' }}")).toBe('}}');
    expect(render('{{ a }}{{ b }}', { a: 1, b: 2 })).toBe('12');
    expect(render('{{ a + b }}', { a: [1], b: [2, 3] })).toEqual([1, 2, 3]);
    expect(render('{{ n + 1 }}', { n: 2 })).toBe(3);
    expect(
      t.evaluate(
        "nodes | selectattr('name', 'equalto', 'b') | map(attribute='ip') | first == '2'",
        new VarScope(
          {
            nodes: [
              { name: 'a', ip: '1' },
              { name: 'b', ip: '2' },
            ],
          },
          t,
        ),
        'test',
      ),
    ).toBe(true);
  });

  it('extract, hash and password_hash (the same crypt(3) string as openssl)', () => {
    expect(render("{{ ['a', 'b'] | map('extract', hv, 'x') | list }}", { hv: { a: { x: 1 }, b: { x: 2 } } })).toEqual([1, 2]);
    expect(render("{{ 'abc' | hash('sha256') }}")).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const expected = execFileSync('openssl', ['passwd', '-6', '-salt', 'saltsalt', 'secret'], { encoding: 'utf8' }).trim();
    expect(render("{{ 'secret' | password_hash('sha512', 'saltsalt') }}")).toBe(expected);
  });

  it("a registered result is data: a '{{' in a command's output is not templated again", async () => {
    const dir = project({
      'inv.yml': LOCAL_INVENTORY,
      'input.txt': '{{ not_a_variable }}\n',
      'play.yml': `- hosts: localhost
  gather_facts: false
  tasks:
    - command: cat ${'{{'} playbook_dir }}/input.txt
      register: r
      changed_when: false
    - copy: { content: "{{ r.stdout }}", dest: "{{ playbook_dir }}/out.txt" }
`,
    });
    const run = await engine(['run', join(dir, 'play.yml'), '-i', join(dir, 'inv.yml')]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('{{ not_a_variable }}');
  });
});

describe('refusals of the cluster roles, before they change anything', () => {
  const device = (params: Record<string, unknown>) => ({
    id: 'fence_pbx01',
    agent: 'stonith:fence_ipmilan',
    params: { ip: '10.0.0.11', pcmk_host_list: 'pbx01', ...params },
  });
  const fencing = (devices: unknown[], passwords: Record<string, string>) =>
    project({
      'play.yml': `- hosts: all\n  gather_facts: false\n  vars: ${JSON.stringify({ fencing: 'ipmi', fence_devices: devices, fence_ipmi_passwords: passwords })}\n  roles: [${join(ROOT, 'roles/fencing')}]\n`,
      'inv.yml': LOCAL_INVENTORY,
    });

  it('an IPMI fence device with its password in the CIB, without the wrapper, or without a BMC password stops the deploy, naming it', async () => {
    const wrapper = { ipmitool_path: '/usr/local/sbin/pbx-ipmitool' };
    for (const [devices, passwords] of [
      [[device({ ...wrapper, password: 's3cret' })], { '10.0.0.11': 's3cret' }],
      [[device({})], { '10.0.0.11': 's3cret' }],
      [[device(wrapper)], {}],
    ] as const) {
      const p = fencing([...devices], passwords);
      const run = await engine(['run', join(p, 'play.yml'), '-i', join(p, 'inv.yml'), '--check']);
      expect(run.code, run.stdout).toBe(2);
      expect(run.stdout).toContain('fence device fence_pbx01: with fencing: ipmi, give it ipmitool_path: /usr/local/sbin/pbx-ipmitool and no password');
      expect(run.stdout).not.toContain('s3cret');
    }
    const p = fencing([device(wrapper)], { '10.0.0.11': 's3cret' });
    const ok = await engine(['run', join(p, 'play.yml'), '-i', join(p, 'inv.yml'), '--check']);
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.stdout).not.toContain('s3cret');
  });

  it('grow-data.yml refuses DRBD storage and says what to run instead', async () => {
    const p = project({ 'inv.yml': `pbx:\n  hosts:\n    localhost: { ansible_connection: local }\n` });
    const run = await engine([
      'run',
      join(ROOT, 'playbooks/grow-data.yml'),
      '-i',
      join(p, 'inv.yml'),
      '-e',
      `site_vars=${join(ROOT, 'inventory/lab-vars.yml')}`,
      '-e',
      'storage=drbd',
      '--check',
    ]);
    expect(run.code, run.stdout).toBe(2);
    expect(run.stdout).toContain("grow-data.yml grows shared_block and ebs storage, not drbd: with DRBD, run 'drbdadm resize pbxdata' on the primary");
    expect(run.stdout).not.toMatch(/crm_resource/);
  });
});
