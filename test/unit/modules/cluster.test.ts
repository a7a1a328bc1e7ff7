// The cluster kit's modules on fixture states: the CIB module's chain of looks (live CIB, then
// crm_verify of the proposal) and its patch step, node membership steps, the PBX server registry
// decisions, the SIP probe and the AWS checks. No host, no cluster, no API.
import { describe, expect, it } from 'vitest';
import { aws_cluster_check } from '../../../engine/cluster/modules/aws_cluster_check';
import { aws_prepare } from '../../../engine/cluster/modules/aws_prepare';
import { cluster_cib } from '../../../engine/cluster/modules/cluster_cib';
import { cluster_nodes } from '../../../engine/cluster/modules/cluster_nodes';
import { ebs_volume_size } from '../../../engine/cluster/modules/ebs_volume_size';
import { pbx_server } from '../../../engine/cluster/modules/pbx_server';
import { sip_calls } from '../../../engine/cluster/modules/sip_calls';
import { sip_probe } from '../../../engine/cluster/modules/sip_probe';
import type { CallStep, RunStep } from '../../../engine/core/modules/types';
import { answer, planContext } from '../../helpers/modules';

const LIVE = `<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="7" num_updates="3" admin_epoch="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="cib-bootstrap-options-stonith-enabled" name="stonith-enabled" value="true"/>
      </cluster_property_set>
    </crm_config>
    <nodes/>
    <resources/>
    <constraints/>
  </configuration>
  <status/>
</cib>`;

describe('cluster_cib', () => {
  const same = { properties: { 'stonith-enabled': true } };
  const changed = { properties: { 'stonith-enabled': true }, resources: [{ id: 'vip', agent: 'ocf:heartbeat:IPaddr2', params: { ip: '10.0.0.9' } }] };

  it('a declaration the live CIB already holds takes one look and changes nothing', () => {
    const { found, scripts } = answer(cluster_cib.probe!(same, planContext()), { stdout: LIVE });
    expect(scripts).toEqual(['cibadmin --query']);
    expect(cluster_cib.plan(same, found, planContext())).toMatchObject({ changed: false, msg: 'cluster configuration as declared' });
  });

  it('a change is judged by crm_verify (live and new CIB on stdin), then applied as one patch checked against the epochs read', () => {
    const { found, scripts } = answer(cluster_cib.probe!(changed, planContext()), { stdout: LIVE }, { stdout: 'VERIFY-OK\n' });
    expect(scripts[1]).toContain('crm_verify --xml-file "$d/new.xml"');
    const out = cluster_cib.plan(changed, found, planContext());
    expect(out).toMatchObject({ changed: true, msg: 'cluster configuration updated (crm_verify accepts it)' });
    expect(out.diff?.[0].after).toContain('IPaddr2');
    const step = out.steps![0] as RunStep;
    expect(out.steps).toHaveLength(1);
    expect(step.script).toContain(`= ' admin_epoch="0" epoch="7"' ] || { echo 'the cluster configuration changed since it was read; run again'`);
    expect(step.script).toContain('cibadmin --patch --xml-file "$d/patch.xml"');
    expect(step.script).toContain('crm_resource --wait --timeout=60s');
    expect(String(step.stdin)).toContain('--CIB-SPLIT--');
    expect((cluster_cib.plan({ ...changed, wait: 0 }, found, planContext()).steps![0] as RunStep).script).not.toContain('crm_resource --wait');
  });

  it('a proposal crm_verify rejects fails with its words', () => {
    const { found } = answer(cluster_cib.probe!(changed, planContext()), { stdout: LIVE }, { stdout: 'error: unpack_resources: bad\n' });
    expect(cluster_cib.plan(changed, found, planContext())).toMatchObject({
      failed: true,
      msg: 'crm_verify rejects the new configuration: error: unpack_resources: bad',
    });
  });

  it('no cluster yet: a dry run after the change that starts it compares with an empty CIB; anything else is an error', () => {
    const dry = planContext({ check: true, predict: true });
    const { found, scripts } = answer(
      cluster_cib.probe!(same, dry),
      { rc: 102, stderr: 'Could not connect' },
      { stdout: LIVE.replace(/<nvpair[^>]*>/, '') },
      { stdout: 'VERIFY-OK' },
    );
    expect(scripts.slice(0, 2)).toEqual(['cibadmin --query', 'cibadmin --empty']);
    expect(cluster_cib.plan(same, found, dry)).toMatchObject({
      changed: true,
      msg: expect.stringContaining('would be updated'),
      diff: [{ beforeHeader: 'empty CIB (no cluster runs yet)' }],
    });
    expect(() => answer(cluster_cib.probe!(same, planContext()), { rc: 102, stderr: 'Could not connect' })).toThrow(
      'cibadmin --query: failed (rc=102): Could not connect',
    );
  });

  it('secret parameters are masked in the diff and say so when they are all that changed', () => {
    const secret = (pw: string) => ({ resources: [{ id: 'fence', agent: 'stonith:fence_ipmilan', params: { password: pw } }] });
    const first = answer(cluster_cib.probe!(secret('hunter2'), planContext()), { stdout: LIVE }, { stdout: 'VERIFY-OK' }).found;
    const created = cluster_cib.plan(secret('hunter2'), first, planContext());
    expect(created.diff?.[0].after).toContain('name="password" value="********"');
    expect(JSON.stringify(created.diff)).not.toContain('hunter2');
    // The live CIB holds the old password; only it changes: the diff cannot show it, the message says so.
    const withOld = answer(cluster_cib.probe!(secret('old-pw'), planContext()), { stdout: LIVE }, { stdout: 'VERIFY-OK' }).found;
    const liveXml = withOld.newXml;
    const rotated = answer(cluster_cib.probe!(secret('new-pw'), planContext()), { stdout: liveXml }, { stdout: 'VERIFY-OK' }).found;
    const out = cluster_cib.plan(secret('new-pw'), rotated, planContext());
    expect(out.msg).toContain('only secret parameters changed; their values are not shown');
    expect(JSON.stringify(out.diff)).not.toMatch(/old-pw|new-pw/);
  });
});

describe('cluster_nodes', () => {
  const nodes = [
    { name: 'pbx01', addr: '10.0.0.1' },
    { name: 'pbx02', addr: '10.0.0.2' },
    { name: 'pbx04', addr: '10.0.0.4' },
  ];
  it('a leaving node is removed and forgotten before the new one joins', () => {
    const { found } = answer(cluster_nodes.probe!({ nodes }, planContext()), {
      stdout: 'N pbx01\nN pbx02\nN pbx03\nP pbx01 member\nP pbx02 member\nP pbx03 lost\n',
    });
    const out = cluster_nodes.plan({ nodes }, found, planContext());
    expect(out.msg).toBe('pbx03 leaves; pbx04 joins');
    const steps = out.steps as RunStep[];
    expect(steps.map((s) => s.what ?? s.script)).toEqual([
      'pcs cluster node remove pbx03',
      'waiting for Pacemaker to forget pbx03',
      'pcs cluster node add pbx04 addr=10.0.0.4 --start --enable',
    ]);
    expect(steps[1].script).toContain('for attempt in $(seq 30); do');
  });

  it('no cluster running: nothing to compare; an online node leaving is refused without remove_online', () => {
    const idle = answer(cluster_nodes.probe!({ nodes }, planContext()), { stdout: 'NOT-RUNNING\n' }).found;
    expect(cluster_nodes.plan({ nodes }, idle, planContext())).toMatchObject({ changed: false, msg: expect.stringContaining('no cluster runs here yet') });
    const online = { running: true, members: ['pbx01', 'pbx02', 'pbx03'], online: ['pbx01', 'pbx02', 'pbx03'] };
    expect(cluster_nodes.plan({ nodes }, online, planContext())).toMatchObject({ failed: true });
    expect(cluster_nodes.plan({ nodes, remove_online: true }, online, planContext()).changed).toBe(true);
    expect(() => cluster_nodes.plan({ nodes: [{ name: '-x', addr: '1' }] }, online, planContext())).toThrow("invalid node name '-x'");
  });
});

describe('pbx_server', () => {
  const api = { api_url: 'http://127.0.0.1:1/api', api_token: 't', kind: 'media' as const };
  const builtin = { id: 1, name: 'default', type: 'DEFAULT' as const, ipv4: '', enabled: true, status: 'ONLINE' as const };
  const ext = (status: 'ONLINE' | 'OFFLINE') => ({
    id: 7,
    name: 'media1',
    type: 'EXTENDED' as const,
    ipv4: '10.0.0.7',
    public_ipv4: '',
    enabled: true,
    status,
  });

  it('auto turns the built-in server off only while an extended one is ONLINE', () => {
    const off = pbx_server.plan({ ...api, builtin: true, enabled: 'auto' }, { servers: [builtin, ext('ONLINE')], serving: [ext('ONLINE')] }, planContext());
    expect(off).toMatchObject({ changed: true, msg: 'built-in media server turned off (media1 serving)' });
    expect((off.steps![0] as CallStep).what).toBe('turn the built-in media server off');
    const none = pbx_server.plan({ ...api, builtin: true, enabled: 'auto' }, { servers: [builtin, ext('OFFLINE')], serving: [ext('OFFLINE')] }, planContext());
    expect(none).toMatchObject({ failed: true, msg: 'no extended media server is ONLINE (media1 OFFLINE); the built-in media server stays on' });
    const dry = pbx_server.plan({ ...api, builtin: true, enabled: 'auto' }, { servers: [builtin], serving: [ext('OFFLINE')] }, planContext({ check: true }));
    expect(dry).toMatchObject({ changed: true, msg: expect.stringContaining('would turn the built-in media server off once an extended one is ONLINE') });
    const back = pbx_server.plan({ ...api, builtin: true, enabled: 'auto' }, { servers: [{ ...builtin, enabled: false }], serving: [] }, planContext());
    expect(back).toMatchObject({ changed: true, msg: 'built-in media server turned on' });
  });

  it('an extended server is registered, updated field by field, left alone, or deregistered', () => {
    const want = { ...api, name: 'media1', ipv4: '10.0.0.7' };
    const reg = pbx_server.plan(want, { servers: [builtin], serving: [] }, planContext());
    expect(reg).toMatchObject({ changed: true, msg: 'media server media1 registered' });
    expect((reg.steps![0] as CallStep).what).toBe('register media server media1');
    expect(pbx_server.plan(want, { servers: [builtin, ext('ONLINE')], serving: [] }, planContext())).toMatchObject({ changed: false, result: { id: 7 } });
    const moved = pbx_server.plan({ ...want, ipv4: '10.0.0.8' }, { servers: [builtin, ext('ONLINE')], serving: [] }, planContext());
    expect(moved).toMatchObject({ msg: 'media server media1: ipv4 changed', diff: [{ before: 'ipv4: "10.0.0.7"\n', after: 'ipv4: "10.0.0.8"\n' }] });
    expect((pbx_server.plan({ ...want, state: 'absent' }, { servers: [ext('ONLINE')], serving: [] }, planContext()).steps![0] as CallStep).what).toBe(
      'deregister media server media1',
    );
  });

  it('bad arguments are refused before any call', async () => {
    await expect(pbx_server.probe!({ ...api, api_url: 'ftp://x' }, planContext())).rejects.toThrow("api_url 'ftp://x' is not an http(s) URL");
    await expect(pbx_server.probe!({ ...api, name: 'm', builtin: true }, planContext())).rejects.toThrow('give either name');
    await expect(pbx_server.probe!({ ...api, name: 'm' }, planContext())).rejects.toThrow('an extended server needs ipv4');
  });
});

describe('sip_probe', () => {
  it('an answer, no answer, and a predicted wait in a dry run', () => {
    expect(sip_probe.plan({ host: '10.0.0.9' }, { seconds: 0.5, line: 'SIP/2.0 200 OK' }, planContext())).toMatchObject({
      msg: 'SIP/2.0 200 OK after 0.50 s',
      result: { status_line: 'SIP/2.0 200 OK', seconds: 0.5 },
    });
    expect(sip_probe.plan({ host: '10.0.0.9', timeout: 5 }, undefined, planContext())).toMatchObject({
      failed: true,
      msg: 'no SIP answer from 10.0.0.9:5060 within 5 s',
    });
    expect(sip_probe.plan({ host: '10.0.0.9' }, undefined, planContext({ check: true, predict: true }))).toMatchObject({ predicted: true });
  });
});

describe('sip_calls', () => {
  const up = { held: { count: 3, target: '10.0.0.9:5060', holding: true } };

  it('place sets calls up in a step (none in a dry run), once per name', () => {
    const place = sip_calls.plan({ action: 'place', host: '10.0.0.9', count: 3 }, {}, planContext());
    expect(place).toMatchObject({ changed: false, msg: '3 test calls through 10.0.0.9:5060, held up to 600 s' });
    expect(place.steps?.map((s) => s.kind)).toEqual(['call']);
    expect(sip_calls.plan({ action: 'place', host: '10.0.0.9', count: 3 }, up, planContext())).toMatchObject({
      failed: true,
      msg: "test calls 'calls' are held already (through 10.0.0.9:5060): end them first",
    });
    expect(sip_calls.plan({ action: 'place', count: 3 }, {}, planContext())).toMatchObject({ failed: true, msg: 'action place needs host and count' });
  });

  it('check fails when the PBX on the VIP knows fewer calls than were placed, or the agent lost them', () => {
    expect(sip_calls.plan({ action: 'check' }, { ...up, known: 3 }, planContext())).toMatchObject({
      msg: '3 test calls up, all known to the PBX on 10.0.0.9:5060',
      result: { held: 3, known: 3 },
    });
    expect(sip_calls.plan({ action: 'check' }, { ...up, known: 1 }, planContext())).toMatchObject({
      failed: true,
      msg: 'the PBX on 10.0.0.9:5060 knows 1 of the 3 test calls',
    });
    expect(sip_calls.plan({ action: 'check' }, { held: { ...up.held, holding: false } }, planContext())).toMatchObject({
      failed: true,
      msg: "the 3 test calls 'calls' ended: the calling agent lost them",
    });
    expect(sip_calls.plan({ action: 'check' }, up, planContext()).msg).toBe("3 test calls up (the PBX's calls API was not given: not asked)");
  });

  it('check and end without calls fail, except in a dry run (which placed none)', () => {
    for (const action of ['check', 'end'] as const) {
      expect(sip_calls.plan({ action, name: 'upgrade' }, {}, planContext())).toMatchObject({ failed: true, msg: "no test calls 'upgrade' are held" });
      expect(sip_calls.plan({ action }, {}, planContext({ check: true }))).toMatchObject({ msg: 'no test calls held in a dry run' });
    }
    const end = sip_calls.plan({ action: 'end' }, up, planContext());
    expect(end.msg).toBe('3 test calls go on: re-INVITE and BYE through 10.0.0.9:5060');
    expect(end.steps?.map((s) => s.kind)).toEqual(['call']);
  });
});

describe('ebs_volume_size', () => {
  const args = { region: 'r', volume_id: 'vol-1', size: 40 };
  it('grows a smaller volume in one API step, never shrinks, and waits for a modification under way', () => {
    const grow = ebs_volume_size.plan(args, { size: 20 }, planContext());
    expect(grow).toMatchObject({ changed: true, msg: 'vol-1: 20 -> 40 GiB', diff: [{ before: 'vol-1: 20 GiB\n', after: 'vol-1: 40 GiB\n' }] });
    expect(grow.steps?.map((s) => s.kind)).toEqual(['call']);
    expect(ebs_volume_size.plan(args, { size: 40, modification: { state: 'completed', target: 40 } }, planContext())).toMatchObject({
      changed: false,
      msg: 'vol-1 is 40 GiB',
    });
    expect(ebs_volume_size.plan(args, { size: 80 }, planContext())).toMatchObject({
      failed: true,
      msg: 'EBS volumes do not shrink: vol-1 is 80 GiB, size asks for 40',
    });
    expect(ebs_volume_size.plan(args, { size: 20, modification: { state: 'modifying', target: 30 } }, planContext())).toMatchObject({
      failed: true,
      msg: 'vol-1 is being modified already (modifying, to 30 GiB): run again when it is done',
    });
  });
});

describe('aws_cluster_check and aws_prepare', () => {
  it('every problem found is listed in one failure', () => {
    expect(aws_cluster_check.plan({ region: 'r', instance_ids: [], vip: '1' }, ['a', 'b'], planContext())).toMatchObject({
      failed: true,
      msg: 'AWS prerequisites not met:\n- a\n- b',
    });
    expect(aws_cluster_check.plan({ region: 'r', instance_ids: [], vip: '1' }, [], planContext()).failed).toBeUndefined();
  });

  it('prepare lists and makes only what is missing, one API call per thing', () => {
    const args = { region: 'r', cluster: 'pbx', instance_ids: ['i-1'], iam_policy_name: 'pbx-ha' };
    const base = { securityGroup: 'sg-1', vpcCidr: '10.0.0.0/16', zone: 'r1a', missingRules: [] };
    const out = aws_prepare.plan(args, base, planContext());
    expect((out.steps as CallStep[]).map((s) => s.what)).toEqual(['allocate the Elastic IP', 'create the EBS data volume', 'create the IAM policy pbx-ha']);
    const done = { ...base, eip: { allocationId: 'eipalloc-1', publicIp: '3.3.3.3' }, volumeId: 'vol-1', policyArn: 'arn:p' };
    expect(aws_prepare.plan(args, done, planContext())).toMatchObject({
      changed: false,
      result: { eip_address: '3.3.3.3', ebs_volume_id: 'vol-1', iam_policy_arn: 'arn:p' },
    });
  });
});
