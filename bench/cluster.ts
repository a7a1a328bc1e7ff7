// Benchmark of the HA cluster in the lab: bare lab nodes to SIP answering on the VIP, a re-run with
// nothing to change, planned switchovers and crash failovers (power cut of the active node).
// Prints medians; not a test. Uses its own lab directory and takes the lab down at the end.
// Usage: npm run bench:cluster [-- RUNS]   (default 5 switchovers and 5 crash failovers)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const LAB = mkdtempSync(join(tmpdir(), 'pbx-lab-bench-'));
const INVENTORY = join(LAB, 'lab.yml');
const runs = Number(process.argv[2] ?? 5);

function engine(...args: string[]): { code: number; stdout: string; seconds: number } {
  const started = Date.now();
  const res = spawnSync(join(ROOT, 'node_modules/.bin/ts-node'), [join(ROOT, 'engine'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, PBX_LAB_DIR: LAB, CI: 'true' },
    maxBuffer: 64 << 20,
  });
  if (res.status !== 0) process.stderr.write(`engine ${args.join(' ')} exited ${res.status}:\n${(res.stdout ?? '').slice(-2000)}${res.stderr}\n`);
  return { code: res.status ?? 1, stdout: res.stdout ?? '', seconds: (Date.now() - started) / 1000 };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const fmt = (xs: number[]) => `median ${median(xs).toFixed(2)} s (min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)}, n=${xs.length})`;

function waitHealthy(): void {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const res = engine('status', '--json', '-i', INVENTORY);
    try {
      const s = JSON.parse(res.stdout);
      if (s.quorate && s.nodes.every((n: { online: boolean }) => n.online) && !s.failures.length) return;
    } catch {
      // not answering yet
    }
    spawnSync('sleep', ['1']);
  }
  throw new Error('cluster did not return to three healthy nodes');
}

function main(): void {
  try {
    const up = engine('lab', 'up', '--nodes', '3', '-i', INVENTORY);
    if (up.code) throw new Error('lab up failed');
    const deploy = engine('run', 'playbooks/deploy.yml', '-i', INVENTORY);
    if (deploy.code) throw new Error('deploy failed');
    const rerun = engine('run', 'playbooks/deploy.yml', '-i', INVENTORY);
    const switchovers: number[] = [];
    for (let i = 0; i < runs; i++) {
      const res = engine('switchover', '-i', INVENTORY);
      const m = / after ([\d.]+) s/.exec(res.stdout);
      if (m) switchovers.push(Number(m[1]));
    }
    const failovers: number[] = [];
    const rejoins: number[] = [];
    for (let i = 0; i < runs; i++) {
      waitHealthy();
      const res = engine('verify', 'failover', '--json', '-i', INVENTORY);
      const report = JSON.parse(res.stdout || '{}');
      if (report.sipSeconds !== undefined && report.dataIntact && report.fenced) {
        failovers.push(report.sipSeconds);
        rejoins.push(report.rejoinedSeconds);
      }
    }
    console.log(`lab up (3 nodes)                         ${up.seconds.toFixed(1)} s`);
    console.log(`deploy, bare nodes to SIP on the VIP      ${deploy.seconds.toFixed(1)} s   (target <= 60 s, lab up not included)`);
    console.log(`re-run, nothing to change                 ${rerun.seconds.toFixed(1)} s   (target <= 10 s)`);
    console.log(`switchover, SIP answered again            ${fmt(switchovers)}   (target <= 2.5 s)`);
    console.log(`crash of the active node, SIP again       ${fmt(failovers)}   (target <= 5 s)`);
    console.log(`crashed node fenced, rebooted, rejoined   ${fmt(rejoins)}`);
  } finally {
    engine('lab', 'down', '-i', INVENTORY);
    rmSync(LAB, { recursive: true, force: true });
  }
}

main();
