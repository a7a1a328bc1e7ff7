// The engine against three real sshd hosts: idempotence, honest dry runs, handlers, failures.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engine, recap, ROOT, snapshot } from '../helpers/engine';
import { type HostSet, startHosts, stopHost } from '../helpers/sshd';

const PLAYBOOK = join(ROOT, 'test/fixtures/site/playbook.yml');
let set: HostSet;
let inventory: string;

beforeAll(async () => {
  set = await startHosts(3);
  inventory = set.inventory();
});
afterAll(async () => set?.stop());

const file = (host: number, path: string) => readFileSync(join(set.hosts[host].root, 'app', path), 'utf8');
const restarts = (host: number) => (existsSync(join(set.hosts[host].root, 'app/log/restarts')) ? file(host, 'log/restarts').trim().split('\n').length : 0);

/** The unified diff blocks printed for one host, keyed by file. */
function diffs(stdout: string): string[] {
  return stdout.split('\n').reduce<string[]>((blocks, line) => {
    if (line.startsWith('--- ')) blocks.push(line);
    else if (blocks.length && /^([+@ -]|\\)/.test(line)) blocks[blocks.length - 1] += `\n${line}`;
    return blocks;
  }, []);
}

describe('a playbook over ssh', () => {
  it('changes every host on the first run and writes the real files', async () => {
    const run = await engine(['run', PLAYBOOK, '-i', inventory]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const stats = recap(run.stdout);
    expect(Object.keys(stats).sort()).toEqual(['node1', 'node2', 'node3']);
    for (const [i, h] of set.hosts.entries()) {
      expect(stats[h.name].changed).toBeGreaterThan(5);
      expect(stats[h.name].failed).toBe(0);
      expect(file(i, 'etc/app.conf')).toContain(`name = ${h.name}\nlisten = ${h.address}:5060`);
      expect(file(i, 'etc/version')).toBe('1.0.0');
      expect(file(i, 'etc/limits.conf')).toBe('* soft nofile 65536\n* hard nofile 65536\n');
      expect(file(i, 'etc/hosts.extra')).toContain(`${set.hosts[2].address} node3`);
      expect(existsSync(join(h.root, 'app/data/.initialised'))).toBe(true);
    }
  });

  it('reports changed=0 on every host when run again', async () => {
    const run = await engine(['run', PLAYBOOK, '-i', inventory]);
    expect(run.code).toBe(0);
    for (const s of Object.values(
      recap(
        run.stdout,
        set.hosts.map((h) => h.name),
      ),
    ))
      expect(s).toMatchObject({ changed: 0, failed: 0, unreachable: 0 });
  });

  it('ran the handler once per host, only when notified', () => {
    // First run: three tasks notified "restart app"; it ran once. Second run: nothing notified.
    for (const i of [0, 1, 2]) expect(restarts(i)).toBe(1);
  });

  it('--check --diff changes nothing and shows the diff the real run then applies', async () => {
    const before = snapshot(set.dir);
    const check = await engine(['run', PLAYBOOK, '-i', inventory, '--check', '--diff', '-e', 'app_port=5070', '-e', 'app_version=1.1.0']);
    expect(check.code).toBe(0);
    expect(snapshot(set.dir)).toEqual(before);
    const planned = diffs(check.stdout);
    expect(planned.some((d) => d.includes('-listen = ') && d.includes('+listen = ') && d.includes(':5070'))).toBe(true);
    expect(planned.some((d) => d.includes('-PORT=5060') && d.includes('+PORT=5070'))).toBe(true);
    // Template, version file and port line, plus the handler they notify (it would run).
    for (const s of Object.values(
      recap(
        check.stdout,
        set.hosts.map((h) => h.name),
      ),
    ))
      expect(s.changed).toBe(4);

    const real = await engine(['run', PLAYBOOK, '-i', inventory, '--diff', '-e', 'app_port=5070', '-e', 'app_version=1.1.0']);
    expect(real.code).toBe(0);
    // Hosts finish in any order; the set of diffs must be the same.
    expect(diffs(real.stdout).sort()).toEqual([...planned].sort());
    expect(file(0, 'etc/app.env')).toBe('PORT=5070\n');
    expect(file(1, 'etc/version')).toBe('1.1.0');
    // Three changed tasks notified the handler: it still ran once more, not three times.
    for (const i of [0, 1, 2]) expect(restarts(i)).toBe(2);
  });

  it('--limit and --tags select hosts and tasks', async () => {
    const run = await engine(['run', PLAYBOOK, '-i', inventory, '--limit', 'all:!node2', '--role', 'app', '-e', 'app_port=5070', '-e', 'app_version=1.1.0']);
    expect(run.code).toBe(0);
    expect(Object.keys(recap(run.stdout)).sort()).toEqual(['node1', 'node3']);
    expect(run.stdout).not.toContain('Marker lines');
    expect(run.stdout).toContain('app : Main configuration');
  });

  it('reports a down host UNREACHABLE while the others finish', async () => {
    const extra = await startHosts(3, 'edge');
    try {
      await stopHost(extra.hosts[2]);
      const run = await engine(['run', PLAYBOOK, '-i', extra.inventory()]);
      expect(run.code).toBe(4);
      const stats = recap(run.stdout);
      expect(stats.edge3).toMatchObject({ unreachable: 1, ok: 0, changed: 0 });
      expect(stats.edge1).toMatchObject({ unreachable: 0, failed: 0 });
      expect(stats.edge1.changed).toBeGreaterThan(5);
      expect(run.stdout).toMatch(/fatal: \[edge3\]: UNREACHABLE! => .*ECONNREFUSED/);
      expect(readFileSync(join(extra.hosts[1].root, 'app/etc/version'), 'utf8')).toBe('1.0.0');
    } finally {
      await extra.stop();
    }
  });
});
