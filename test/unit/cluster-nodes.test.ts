// The cluster_nodes module's decisions on fixture states: who leaves, who joins, what is refused.
import { describe, expect, it } from 'vitest';
import { parseMembership, planMembership } from '../../engine/cluster/modules/cluster_nodes';

const declared = [
  { name: 'pbx01', addr: '10.0.0.1' },
  { name: 'pbx02', addr: '10.0.0.2' },
  { name: 'pbx04', addr: '10.0.0.4' },
];

describe('cluster_nodes', () => {
  it("reads corosync's node list and Pacemaker's online peers from one probe", () => {
    const out = 'N pbx01\nN pbx02\nN pbx03\nP pbx01 member\nP pbx02 member\nP pbx03 lost\n';
    expect(parseMembership(out)).toEqual({ running: true, members: ['pbx01', 'pbx02', 'pbx03'], online: ['pbx01', 'pbx02'] });
    expect(parseMembership('NOT-RUNNING\n')).toEqual({ running: false, members: [], online: [] });
  });

  it('an offline node leaves and the new one joins', () => {
    const found = { running: true, members: ['pbx01', 'pbx02', 'pbx03'], online: ['pbx01', 'pbx02'] };
    const plan = planMembership(declared, found, false);
    expect(plan.leaving).toEqual(['pbx03']);
    expect(plan.joining).toEqual([{ name: 'pbx04', addr: '10.0.0.4' }]);
    expect(plan.refusal).toBeUndefined();
  });

  it('an online node leaves only when allowed, and the refusal names it', () => {
    const found = { running: true, members: ['pbx01', 'pbx02', 'pbx03'], online: ['pbx01', 'pbx02', 'pbx03'] };
    expect(planMembership(declared, found, false).refusal).toBe('pbx03 is online: removing a running node from the cluster needs --yes (or stop it first)');
    expect(planMembership([declared[0]], found, false).refusal).toMatch(/^pbx02, pbx03 are online/);
    expect(planMembership(declared, found, true).refusal).toBeUndefined();
  });

  it('the declared list changes nothing', () => {
    const found = { running: true, members: ['pbx01', 'pbx02', 'pbx04'], online: ['pbx01'] };
    expect(planMembership(declared, found, false)).toEqual({ leaving: [], joining: [], refusal: undefined });
  });
});
