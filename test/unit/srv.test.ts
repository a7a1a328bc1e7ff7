// RFC 2782 selection: the computed shares, the order of priority levels, and agreement with a
// simulation of many clients (a seeded generator, so the numbers are the same every run).
import { describe, expect, it } from 'vitest';
import { expectedShares, report, rfc2782Order, simulate, type SrvRecord } from '../../engine/cluster/ops/srv';

const SEED: SrvRecord[] = [
  { priority: 10, weight: 60, port: 5060, name: 'bigbox' },
  { priority: 10, weight: 20, port: 5060, name: 'smallbox1' },
  { priority: 10, weight: 10, port: 5060, name: 'smallbox2' },
  { priority: 10, weight: 10, port: 5066, name: 'smallbox2' },
  { priority: 20, weight: 0, port: 5060, name: 'backupbox' },
];

/** mulberry32: small, seeded, good enough for a selection simulation. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('RFC 2782', () => {
  it('shares of the guide example: r uniform in [0, 100], so 60.25/101 for bigbox', () => {
    const shares = expectedShares(SEED);
    expect(shares.get('bigbox:5060')).toBeCloseTo(60.25 / 101, 10);
    expect(shares.get('smallbox1:5060')).toBeCloseTo(20.25 / 101, 10);
    expect([...shares.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    expect(shares.has('backupbox:5060')).toBe(false);
  });

  it('weight-0 records get only the r = 0 draws; all-zero levels are uniform', () => {
    const level: SrvRecord[] = [
      { priority: 1, weight: 0, port: 1, name: 'z' },
      { priority: 1, weight: 3, port: 1, name: 'a' },
    ];
    expect(expectedShares(level).get('z:1')).toBeCloseTo(1 / 4, 10);
    expect(expectedShares(level).get('a:1')).toBeCloseTo(3 / 4, 10);
    const zeros: SrvRecord[] = [
      { priority: 1, weight: 0, port: 1, name: 'x' },
      { priority: 1, weight: 0, port: 1, name: 'y' },
    ];
    expect(expectedShares(zeros).get('x:1')).toBe(0.5);
  });

  it('orders every record, lower priority levels first', () => {
    const order = rfc2782Order(SEED, seeded(1));
    expect(order).toHaveLength(5);
    expect(order[4].name).toBe('backupbox');
  });

  it('a simulation of 50000 clients agrees with the computed shares, also with a target down', () => {
    const seen = simulate(SEED, 50000, new Set(), seeded(7));
    for (const [target, share] of expectedShares(SEED)) expect(Math.abs((seen.get(target) ?? 0) - share)).toBeLessThan(0.01);
    const bigboxDown = simulate(SEED, 50000, new Set(['bigbox:5060']), seeded(8));
    // The guide: "If bigbox is unavailable, these two remaining machines will share the load equally".
    expect((bigboxDown.get('smallbox2:5060') ?? 0) + (bigboxDown.get('smallbox2:5066') ?? 0)).toBeCloseTo(bigboxDown.get('smallbox1:5060') ?? 0, 1);
    const allDown = simulate(SEED, 1000, new Set(['bigbox:5060', 'smallbox1:5060', 'smallbox2:5060', 'smallbox2:5066']), seeded(9));
    expect(allDown.get('backupbox:5060')).toBe(1);
  });

  it('the report names levels, down cases and the failover order', () => {
    const { text, shares } = report('_sip._udp.example.com', SEED, 20000, seeded(11));
    expect(text).toContain('priority 20 (used when all of priority 10 are down):');
    // The shares printed are the guide's (computed here, not by the code under test), and the
    // seeded simulation lands within 2 points of each.
    const guide: Record<string, number> = {
      'bigbox:5060': 60.25 / 101,
      'smallbox1:5060': 20.25 / 101,
      'smallbox2:5060': 10.25 / 101,
      'smallbox2:5066': 10.25 / 101,
    };
    for (const [target, share] of Object.entries(guide)) {
      const line = shares.find((s) => s.priority === 10 && s.target === target)!;
      expect(line.share, target).toBeCloseTo(share, 10);
      expect(Math.abs(line.simulated - share), target).toBeLessThan(0.02);
      expect(text).toMatch(
        new RegExp(`^  ${target.replace('.', '\\.')}\\s+${(share * 100).toFixed(1)}%\\s+simulated\\s+${(line.simulated * 100).toFixed(1)}%$`, 'm'),
      );
    }
    expect(shares.find((s) => s.priority === 20)).toEqual({ priority: 20, target: 'backupbox:5060', share: 1, simulated: 1 });
    expect(text).toContain('if bigbox:5060 is down: smallbox1:5060 49.6%');
    expect(text).toContain('failover order: priority 10 [bigbox:5060, smallbox1:5060, smallbox2:5060, smallbox2:5066] -> priority 20 [backupbox:5060]');
  });
});
