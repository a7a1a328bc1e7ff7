// Benchmark: this engine against tuned Ansible on the same 30-task playbook and the same real sshd
// hosts (1, 3, 10, 30 of them): first run, no-op re-run, check mode; wall time and peak memory of
// the whole controller process tree. Prints a table; not a test. Usage: npm run bench [-- 1,3]
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type HostSet, startHosts } from '../test/helpers/sshd';

const ROOT = resolve(__dirname, '..');
const PLAYBOOK = join(__dirname, 'site/playbook.yml');

interface Sample {
  seconds: number;
  peakMiB: number;
  code: number;
  changed: number;
}

/** Sum of RSS over a process and all its descendants, from /proc. */
function treeRssKiB(rootPid: number): number {
  const parent = new Map<number, number>();
  const rss = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(entry), Number(fields[1]));
      rss.set(Number(entry), Number(fields[21]) * 4);
    } catch {
      // The process ended while we looked.
    }
  }
  let total = 0;
  for (const [pid, kib] of rss) {
    for (let p: number | undefined = pid; p && p > 1; p = parent.get(p)) {
      if (p === rootPid) {
        total += kib;
        break;
      }
    }
  }
  return total;
}

function measure(command: string, args: string[], env: Record<string, string> = {}): Promise<Sample> {
  return new Promise((done) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, CI: 'true', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, treeRssKiB(child.pid!))), 25);
    child.on('close', (code) => {
      clearInterval(timer);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const changed = [...out.matchAll(/changed=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
      if (code !== 0) process.stderr.write(`${command} exited ${code}:\n${out.slice(-2000)}\n`);
      done({ seconds, peakMiB: peak / 1024, code: code ?? 1, changed });
    });
  });
}

const tools = {
  engine: (inventory: string, extra: string[], hosts: number) =>
    measure(join(ROOT, 'node_modules/.bin/ts-node'), [join(ROOT, 'engine'), 'run', PLAYBOOK, '-i', inventory, '-f', String(hosts), ...extra]),
  ansible: (inventory: string, extra: string[], hosts: number) =>
    measure('ansible-playbook', [PLAYBOOK, '-i', inventory, '-f', String(hosts), ...extra], { ANSIBLE_CONFIG: join(__dirname, 'site/ansible.cfg') }),
};

function wipe(set: HostSet): void {
  for (const h of set.hosts) rmSync(join(h.root, 'b'), { recursive: true, force: true });
}

async function median(runs: number, fn: () => Promise<Sample>): Promise<Sample> {
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) samples.push(await fn());
  samples.sort((a, b) => a.seconds - b.seconds);
  return samples[Math.floor(samples.length / 2)];
}

async function helpTime(): Promise<number> {
  const s: number[] = [];
  for (let i = 0; i < 7; i++) s.push((await measure(join(ROOT, 'node_modules/.bin/ts-node'), [join(ROOT, 'engine'), '--help'])).seconds);
  return s.sort()[3];
}

async function main(): Promise<void> {
  const sizes = (process.argv[2] ?? '1,3,10,30').split(',').map(Number);
  const repeat = Number(process.env.BENCH_REPEAT ?? 3);
  const rows: string[] = [];
  console.log(`engine --help: ${(await helpTime()).toFixed(2)} s (median of 7)`);
  for (const n of sizes) {
    const set = await startHosts(n, 'b');
    const inventory = set.inventory();
    try {
      const result: Record<string, Record<string, Sample>> = {};
      for (const [name, run] of Object.entries(tools)) {
        wipe(set);
        const first = await run(inventory, [], n);
        const noop = await median(repeat, () => run(inventory, [], n));
        const check = await median(repeat, () => run(inventory, ['--check'], n));
        if (noop.changed !== 0) console.error(`${name}: no-op run reported changed=${noop.changed}`);
        result[name] = { first, noop, check };
      }
      for (const phase of ['first', 'noop', 'check']) {
        const e = result.engine[phase];
        const a = result.ansible[phase];
        rows.push(
          `| ${n} | ${phase} | ${e.seconds.toFixed(2)} s | ${a.seconds.toFixed(2)} s | ${(a.seconds / e.seconds).toFixed(1)}x | ${e.peakMiB.toFixed(0)} MiB | ${a.peakMiB.toFixed(0)} MiB |`,
        );
      }
      console.log(rows.slice(-3).join('\n'));
    } finally {
      await set.stop();
    }
  }
  console.log(
    `\n| hosts | run | engine | ansible (tuned) | speed-up | engine peak RSS | ansible peak RSS |\n|---|---|---|---|---|---|---|\n${rows.join('\n')}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
