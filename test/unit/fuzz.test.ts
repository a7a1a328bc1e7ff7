// Bad input, fuzzed: a seeded corpus of mutants over playbooks, role task files, inventories, vars
// files, vault files and CLI flags, each loaded the way a run loads it. Every outcome is counted:
// loaded, a clean error naming file and line, a clean error without a position (only the
// documented kinds: CLI flags, the vault password), or a stack trace. There must be no stack trace
// and every mutant must finish in bounded time.
import { expect, it } from 'vitest';
import { runFuzz } from '../helpers/fuzz-corpus';

const SEED = 20261201;
const PER_KIND = 60;
const BOUND_MS = 3000;

it(`${PER_KIND} seeded mutants of each kind of input: no stack trace, no hang, positions named`, async () => {
  const report = await runFuzz(SEED, PER_KIND);
  console.log(`fuzz outcomes (seed ${SEED}): ${JSON.stringify(report.counts)}`);
  expect(report.badBases).toEqual([]);
  expect(report.mutants).toBeGreaterThanOrEqual(300);
  expect(report.traces, report.traces.join('\n\n')).toEqual([]);
  expect(report.withoutPosition, report.withoutPosition.join('\n\n')).toEqual([]);
  expect(report.slowestMs).toBeLessThan(BOUND_MS);
  // The corpus is not trivially valid: most mutants are refused, and refused cleanly.
  const refused = Object.values(report.counts).reduce((n, c) => n + c['error with position'] + c['error without position'], 0);
  expect(refused).toBeGreaterThan(report.mutants / 3);
}, 300_000);
