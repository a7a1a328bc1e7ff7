// DNS SRV pools served by a real BIND 9 on a lab node: the role writes them, dig and
// `engine srv check` see them, a changed weight changes exactly that record.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changedTasks, engine, recap } from '../helpers/engine';
import { newLabDir, removeLab, takeDownStaleLabs } from '../helpers/lab';

const LAB = newLabDir();
const env = { PBX_LAB_DIR: LAB };
const ROOT = resolve(__dirname, '../..');
const LAB_INVENTORY = join(LAB, 'lab.yml');
const INVENTORY = join(LAB, 'dns.yml');
const SERVER = '172.31.16.150';
const VARS = join(ROOT, 'inventory/dns-vars.yml');

const dns = (...args: string[]) => engine(['run', join(ROOT, 'playbooks/dns.yml'), '-i', INVENTORY, ...args], env);
const dig = (name: string) =>
  spawnSync('dig', [`@${SERVER}`, '+short', '+time=2', '+tries=1', 'SRV', name], { encoding: 'utf8' })
    .stdout.trim()
    .split('\n')
    .filter(Boolean)
    .sort();

beforeAll(async () => {
  await takeDownStaleLabs(LAB);
  const up = await engine(['lab', 'up', '--nodes', '1', '--extra', '1', '-i', LAB_INVENTORY], env);
  expect(up.code, up.stderr).toBe(0);
  // The extended server ext01 plays the DNS server.
  writeFileSync(INVENTORY, readFileSync(LAB_INVENTORY, 'utf8').replace('extended:', 'dns_servers:'));
}, 120_000);

afterAll(() => removeLab(LAB), 120_000);

describe('DNS SRV pools', () => {
  it('serves the two-pool layout: dig and engine srv check see what the role wrote, after a dry run that said so; a second run changes nothing', async () => {
    const dry = await dns('-e', `@${VARS}`, '--check', '--diff');
    expect(dry.code, dry.stdout.slice(-3000)).toBe(0);
    expect(dry.stdout).toMatch(/^\+_sip\._udp\.pbxA\s.*SRV\s+10 10 5060 voip1$/m);
    expect(dig('_sip._udp.pbxA.example.com')).toEqual([]);
    const first = await dns('-e', `@${VARS}`);
    expect(first.code, first.stdout.slice(-3000)).toBe(0);
    expect(changedTasks(first.stdout)).toEqual(changedTasks(dry.stdout));
    expect(changedTasks(first.stdout).length).toBeGreaterThan(2);
    expect(dig('_sip._udp.pbxA.example.com')).toEqual(['10 10 5060 voip1.example.com.', '20 10 5060 voip2.example.com.']);
    expect(dig('_sip._udp.pbxB.example.com')).toEqual(['10 10 5060 voip2.example.com.', '20 10 5060 voip1.example.com.']);

    const check = await engine(['srv', 'check', '_sip._udp.pbxA.example.com', '--server', SERVER]);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/priority 10:\n\s+voip1\.example\.com:5060\s+100\.0%\s+simulated 100\.0%/);
    expect(check.stdout).toMatch(/priority 20 \(used when all of priority 10 are down\):\n\s+voip2\.example\.com:5060\s+100\.0%/);
    expect(check.stdout).toContain('failover order: priority 10 [voip1.example.com:5060] -> priority 20 [voip2.example.com:5060]');

    const shared = await engine(['srv', 'check', '_sip._udp.pbx.example.com', '--server', SERVER, '--json']);
    const parsed = JSON.parse(shared.stdout);
    expect(parsed.records).toHaveLength(2);
    // Weights 60 and 40, r uniform in [0, 100], either order: (61 + 60) / 2 of 101 draws for voip1.
    const expected: Record<string, number> = { 'voip1.example.com:5060': 60.5 / 101, 'voip2.example.com:5060': 40.5 / 101 };
    for (const [target, share] of Object.entries(expected)) {
      const got = parsed.shares.find((s: { target: string }) => s.target === target);
      expect(got.share, target).toBeCloseTo(share, 10);
      expect(Math.abs(got.simulated - share), target).toBeLessThan(0.02);
    }

    const again = await dns('-e', `@${VARS}`);
    expect(again.code).toBe(0);
    expect(recap(again.stdout).ext01.changed).toBe(0);
  }, 120_000);

  it('a changed weight shows as exactly that record (and the serial) under --check --diff, then is served', async () => {
    const vars = join(LAB, 'dns-vars.yml');
    writeFileSync(
      vars,
      readFileSync(VARS, 'utf8').replace('{ priority: 10, weight: 60, port: 5060, target: voip1 }', '{ priority: 10, weight: 70, port: 5060, target: voip1 }'),
    );
    const plan = await dns('-e', `@${vars}`, '--check', '--diff');
    expect(plan.code, plan.stdout.slice(-3000)).toBe(0);
    const changed = plan.stdout.split('\n').filter((l) => /^[+-][^+-]/.test(l));
    expect(changed.filter((l) => !l.includes('; serial'))).toEqual([
      '-_sip._udp.pbx\t300\tIN\tSRV\t10 60 5060 voip1',
      '+_sip._udp.pbx\t300\tIN\tSRV\t10 70 5060 voip1',
    ]);
    expect(changed.filter((l) => l.includes('; serial'))).toHaveLength(2);
    expect(dig('_sip._udp.pbx.example.com')).toContain('10 60 5060 voip1.example.com.');

    const apply = await dns('-e', `@${vars}`);
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain('RUNNING HANDLER [dns_srv : reload zone]');
    expect(dig('_sip._udp.pbx.example.com')).toEqual(['10 40 5060 voip2.example.com.', '10 70 5060 voip1.example.com.']);
    const check = await engine(['srv', 'check', '_sip._udp.pbx.example.com', '--server', SERVER]);
    expect(check.stdout).toMatch(/voip1\.example\.com:5060\s+63\.\d%/);

    const again = await dns('-e', `@${vars}`);
    expect(recap(again.stdout).ext01.changed).toBe(0);
  }, 120_000);

  it('a zone named-checkzone rejects is not installed: the old one goes on serving', async () => {
    const vars = join(LAB, 'bad-dns-vars.yml');
    // A label of 70 characters: a name by its letters, too long for DNS.
    writeFileSync(
      vars,
      readFileSync(VARS, 'utf8').replace(
        '{ priority: 10, weight: 10, port: 5060, target: voip1 }',
        `{ priority: 10, weight: 10, port: 5060, target: ${'a'.repeat(70)} }`,
      ),
    );
    const before = dig('_sip._udp.pbxA.example.com');
    expect(before.length).toBe(2);
    const run = await dns('-e', `@${vars}`);
    expect(run.code, run.stdout.slice(-2000)).toBe(2);
    expect(run.stdout).toMatch(/named-checkzone[^\n]*label too long/);
    expect(changedTasks(run.stdout)).toEqual([]);
    expect(dig('_sip._udp.pbxA.example.com')).toEqual(before);
  }, 60_000);

  it('a value that would add records to the zone (a newline in a target) is refused before anything is written', async () => {
    const vars = join(LAB, 'injected-dns-vars.yml');
    writeFileSync(
      vars,
      readFileSync(VARS, 'utf8').replace(
        '{ priority: 10, weight: 10, port: 5060, target: voip1 }',
        '{ priority: 10, weight: 10, port: 5060, target: "voip1\\nevil\\tIN\\tA\\t172.31.16.99" }',
      ),
    );
    const run = await dns('-e', `@${vars}`);
    expect(run.code, run.stdout.slice(-2000)).toBe(2);
    expect(run.stdout).toContain('hold names (letters, digits');
    expect(changedTasks(run.stdout)).toEqual([]);
    expect(spawnSync('dig', [`@${SERVER}`, '+short', '+time=2', '+tries=1', 'A', 'evil.example.com'], { encoding: 'utf8' }).stdout.trim()).toBe('');
  }, 60_000);

  it('answers only for its zone: no recursion for other names', () => {
    const res = spawnSync('dig', [`@${SERVER}`, '+time=2', '+tries=1', 'A', 'www.example.org'], { encoding: 'utf8' });
    expect(res.stdout).toMatch(/status: REFUSED/);
    expect(res.stdout).not.toMatch(/ANSWER: [1-9]/);
  });

  it('srv check simulates --draws clients per case, and refuses fewer than 100', async () => {
    const check = await engine(['srv', 'check', '_sip._udp.pbx.example.com', '--server', SERVER, '--draws', '500']);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toContain('simulation: 500 draws per case');
    const few = await engine(['srv', 'check', '_sip._udp.pbx.example.com', '--server', SERVER, '--draws', '50']);
    expect(few.code).toBe(5);
    expect(few.stderr).toContain('--draws must be an integer of at least 100');
  });
});
