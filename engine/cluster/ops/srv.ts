// `engine srv check NAME`: the SRV records of a name, as a DNS server serves them, and what a
// client following RFC 2782 does with them: the share of first attempts each target gets in each
// priority level, how the load moves when a target is down, and the order levels are tried in.
// The computed shares are checked against a simulation of the RFC's selection over many draws.
import { InputError } from '../../core/errors';

export interface SrvRecord {
  priority: number;
  weight: number;
  port: number;
  name: string;
}

const targetOf = (r: SrvRecord) => `${r.name}:${r.port}`;

/**
 * RFC 2782's order for one client: lowest priority first; within a priority, weight-0 records
 * first, a running sum of weights, a uniform integer in [0, sum], the first record whose running
 * sum reaches it is next; repeat with the rest.
 */
export function rfc2782Order(records: SrvRecord[], random: () => number = Math.random): SrvRecord[] {
  const order: SrvRecord[] = [];
  for (const priority of [...new Set(records.map((r) => r.priority))].sort((a, b) => a - b)) {
    let pool = records.filter((r) => r.priority === priority);
    while (pool.length) {
      const arranged = [
        ...pool.filter((r) => r.weight === 0),
        ...shuffle(
          pool.filter((r) => r.weight > 0),
          random,
        ),
      ];
      const sum = arranged.reduce((s, r) => s + r.weight, 0);
      const pick = Math.floor(random() * (sum + 1));
      // The first record whose running sum of weights reaches the pick.
      const sums = arranged.map((_, i) => arranged.slice(0, i + 1).reduce((s, r) => s + r.weight, 0));
      const chosen = arranged[sums.findIndex((s) => s >= pick)] ?? arranged[0];
      order.push(chosen);
      pool = pool.filter((r) => r !== chosen);
    }
  }
  return order;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * The exact share of first attempts each target gets in the best priority level under RFC 2782:
 * a uniform integer r in [0, S] (S the sum of weights); weight-0 records come first, so r = 0 goes
 * to one of them if there is any, else to whichever weighted record was put first.
 */
export function expectedShares(records: SrvRecord[]): Map<string, number> {
  const best = Math.min(...records.map((r) => r.priority));
  const level = records.filter((r) => r.priority === best);
  const sum = level.reduce((s, r) => s + r.weight, 0);
  const zeros = level.filter((r) => r.weight === 0).length;
  const weighted = level.length - zeros;
  const share = (r: SrvRecord) => {
    if (sum === 0) return 1 / level.length;
    if (r.weight === 0) return 1 / (sum + 1) / zeros;
    return (r.weight + (zeros ? 0 : 1 / weighted)) / (sum + 1);
  };
  return new Map(level.map((r) => [targetOf(r), share(r)]));
}

/** Where first attempts land over many simulated clients, skipping the targets that are down. */
export function simulate(records: SrvRecord[], draws: number, down: Set<string> = new Set(), random: () => number = Math.random): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < draws; i++) {
    const first = rfc2782Order(records, random).find((r) => !down.has(targetOf(r)));
    if (first) counts.set(targetOf(first), (counts.get(targetOf(first)) ?? 0) + 1);
  }
  return new Map([...counts].map(([t, c]) => [t, c / draws]));
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** One target of a priority level: its computed share of the clients and the simulated one. */
export interface TargetShare {
  priority: number;
  target: string;
  share: number;
  simulated: number;
}

/**
 * The report: per priority level, shares (computed and simulated); per target, where its load
 * goes when it is down. `random` is the simulation's source (seeded in tests).
 */
export function report(
  name: string,
  records: SrvRecord[],
  draws: number,
  random: () => number = Math.random,
): { text: string; maxDeviation: number; shares: TargetShare[] } {
  const lines = [`${name}: ${records.length} SRV records`];
  const shares: TargetShare[] = [];
  let maxDeviation = 0;
  const priorities = [...new Set(records.map((r) => r.priority))].sort((a, b) => a - b);
  for (const [i, priority] of priorities.entries()) {
    const reachable = records.filter((r) => r.priority >= priority);
    const expected = expectedShares(reachable);
    // A lower level is used only when every target of the levels before it is down.
    const down = new Set(records.filter((r) => r.priority < priority).map(targetOf));
    const seen = simulate(records, draws, down, random);
    lines.push(`priority ${priority}${i === 0 ? '' : ` (used when all of priority ${priorities.slice(0, i).join(', ')} are down)`}:`);
    for (const [target, share] of expected) {
      const got = seen.get(target) ?? 0;
      maxDeviation = Math.max(maxDeviation, Math.abs(got - share));
      shares.push({ priority, target, share, simulated: got });
      lines.push(`  ${target.padEnd(32)} ${pct(share).padStart(6)}   simulated ${pct(got).padStart(6)}`);
    }
    if (i === 0 && expected.size > 1) {
      for (const target of expected.keys()) {
        const without = records.filter((r) => targetOf(r) !== target);
        const moved = simulate(records, draws, new Set([target]), random);
        const remaining = expectedShares(without);
        lines.push(`  if ${target} is down: ${[...remaining].map(([t, s]) => `${t} ${pct(s)} (simulated ${pct(moved.get(t) ?? 0)})`).join(', ')}`);
      }
    }
  }
  lines.push(
    `failover order: ${priorities
      .map(
        (p) =>
          `priority ${p} [${records
            .filter((r) => r.priority === p)
            .map(targetOf)
            .join(', ')}]`,
      )
      .join(' -> ')}`,
  );
  lines.push(`simulation: ${draws} draws per case, largest difference from the computed shares ${pct(maxDeviation)}`);
  return { text: lines.join('\n'), maxDeviation, shares };
}

export async function srvCommand(args: string[], options: { server?: string; draws?: string; json?: boolean }): Promise<number> {
  const [action, name] = args;
  if (action !== 'check' || !name) throw new InputError('usage: engine srv check NAME [--server IP[:PORT]] [--draws N]');
  const draws = Number(options.draws ?? 20000);
  if (!Number.isInteger(draws) || draws < 100) throw new InputError('--draws must be an integer of at least 100');
  const { Resolver } = await import('node:dns/promises');
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  if (options.server) resolver.setServers([options.server]);
  let records: SrvRecord[];
  try {
    records = await resolver.resolveSrv(name);
  } catch (err) {
    throw new InputError(
      `no SRV records for ${name}${options.server ? ` at ${options.server}` : ''}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const { text, maxDeviation, shares } = report(name, records, draws);
  process.stdout.write(options.json ? `${JSON.stringify({ name, records, maxDeviation, shares })}\n` : `${text}\n`);
  return 0;
}
