// When `engine status` calls the cluster unhealthy (exit 2), on fixture states of crm_mon.
import { describe, expect, it } from 'vitest';
import { type ClusterStatus, unhealthy } from '../../engine/cluster/ops/cluster';

const node = (name: string, over: Partial<ClusterStatus['nodes'][number]> = {}) => ({ name, online: true, standby: false, unclean: false, ...over });
const healthy: ClusterStatus = { dc: 'pbx01', quorate: true, nodes: [node('pbx01'), node('pbx02'), node('pbx03')], resources: [], failures: [] };

describe('engine status: healthy or not', () => {
  it('a quorate cluster without failed actions or unclean nodes is healthy, also with a node cleanly offline', () => {
    expect(unhealthy(healthy)).toEqual([]);
    expect(unhealthy({ ...healthy, nodes: [node('pbx01'), node('pbx02'), node('pbx03', { online: false })] })).toEqual([]);
  });

  it('no quorum, a node awaiting fencing and failed actions are each named', () => {
    const status: ClusterStatus = {
      ...healthy,
      quorate: false,
      nodes: [node('pbx01'), node('pbx02'), node('pbx03', { online: false, unclean: true })],
      failures: [{ resource: 'vip', node: 'pbx02', task: 'monitor', status: 'error' }],
    };
    expect(unhealthy(status)).toEqual(['no quorum', 'pbx03 is UNCLEAN (awaiting fencing)', '1 failed action(s)']);
  });
});
