// Benchmark: this engine, pyinfra and tuned Ansible on the same 30-task workload and the same
// real sshd hosts (1, 3, 10, 30 by default; 100 and 300 on request): first run, no-op re-run,
// check mode; wall time, CPU time and peak RSS of the whole controller process tree, runs of the
// three tools alternating; then whether all three left byte-identical files, and the engine's
// start-up. Prints tables; not a test. Usage: npm run bench [-- 1,3] (BENCH_TOOLS=engine,pyinfra
// to leave one out, BENCH_REPEAT=3).
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { type HostSet, startHosts, TEST_USER } from '../test/helpers/sshd';

const ROOT = resolve(__dirname, '..');
const PLAYBOOK = join(__dirname, 'site/playbook.yml');

interface Sample {
  seconds: number;
  cpuSeconds: number;
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

/** CPU seconds (user + system) of a process and its waited-for descendants, from /proc. */
function cpuOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return 0;
  }
}

function measure(command: string, args: string[], env: Record<string, string> = {}): Promise<Sample> {
  return new Promise((done) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, CI: 'true', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let cpu = 0;
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    let peak = 0;
    const timer = setInterval(() => {
      peak = Math.max(peak, treeRssKiB(child.pid!));
      cpu = Math.max(cpu, cpuOf(child.pid!));
    }, 25);
    child.on('exit', () => (cpu = Math.max(cpu, cpuOf(child.pid!))));
    child.on('close', (code) => {
      clearInterval(timer);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const changed = [...out.matchAll(/changed=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0) + pyinfraChanged(out);
      if (code !== 0) process.stderr.write(`${command} exited ${code}:\n${out.slice(-2000)}\n`);
      done({ seconds, cpuSeconds: cpu, peakMiB: peak / 1024, code: code ?? 1, changed });
    });
  });
}

/** pyinfra's summary: the "Change" column of its results table. */
function pyinfraChanged(out: string): number {
  const total = /Grand total\s+(\d+)\s+(\d+|-)/.exec(out);
  return total && total[2] !== '-' ? Number(total[2]) : 0;
}

/** A pyinfra inventory for the same hosts, with the same `root` data. */
function pyinfraInventory(set: HostSet): string {
  const file = join(set.dir, 'pyinfra_inventory.py');
  const hosts = set.hosts.map(
    (h) =>
      `("${h.name}", {"ssh_hostname": "${h.address}", "ssh_port": ${h.port}, "ssh_user": "${TEST_USER}", "ssh_key": "${set.keyFile}", "ssh_known_hosts_file": "${set.knownHosts}", "ssh_strict_host_key_checking": "yes", "root": "${h.root}"})`,
  );
  writeFileSync(file, `all = [${hosts.join(', ')}]\n`);
  return file;
}

const PYINFRA = join(ROOT, '.venv-pyinfra/bin/pyinfra');

type Tool = (set: HostSet, check: boolean) => Promise<Sample>;

const ALL_TOOLS: Record<string, Tool> = {
  // The compiled engine as `node engine` starts it (npm ci builds it).
  engine: (set, check) =>
    measure(process.execPath, [join(ROOT, 'engine'), 'run', PLAYBOOK, '-i', set.inventory(), '-f', String(set.hosts.length), ...(check ? ['--check'] : [])]),
  pyinfra: (set, check) =>
    measure(PYINFRA, ['-y', '--parallel', String(set.hosts.length), ...(check ? ['--dry'] : []), pyinfraInventory(set), 'bench/site/pyinfra_deploy.py']),
  ansible: (set, check) =>
    measure('ansible-playbook', [PLAYBOOK, '-i', set.inventory(), '-f', String(set.hosts.length), ...(check ? ['--check'] : [])], {
      ANSIBLE_CONFIG: join(__dirname, 'site/ansible.cfg'),
    }),
};

function wipe(set: HostSet): void {
  for (const h of set.hosts) rmSync(join(h.root, 'b'), { recursive: true, force: true });
}

/** Path -> sha256 of every file a tool left under the first host's b/. */
function filesLeft(set: HostSet): Record<string, string> {
  const top = join(set.hosts[0].root, 'b');
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(top, path)] = createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 12);
    }
  };
  if (existsSync(top)) walk(top);
  return out;
}

function median(samples: Sample[]): Sample {
  const sorted = [...samples].sort((a, b) => a.seconds - b.seconds);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Seconds from spawning `command` until the first task starts (its --json event), median of 7. */
async function startup(command: string, args: readonly string[]): Promise<number> {
  const playbook = join(ROOT, 'bench/site/startup.yml');
  const inventory = join(ROOT, 'bench/site/startup-inventory.yml');
  const samples: number[] = [];
  for (let i = 0; i < 7; i++) {
    samples.push(
      await new Promise<number>((done) => {
        const start = process.hrtime.bigint();
        const child = spawn(command, [...args, 'run', playbook, '-i', inventory, '--json'], { cwd: ROOT, env: { ...process.env, CI: 'true' } });
        let seen = false;
        child.stdout.on('data', (d: Buffer) => {
          if (!seen && d.toString().includes('"kind":"task_start"')) {
            seen = true;
            done(Number(process.hrtime.bigint() - start) / 1e9);
          }
        });
        child.on('close', () => seen || done(Number.NaN));
      }),
    );
  }
  return samples.sort((a, b) => a - b)[3];
}

async function helpTime(command: string, args: readonly string[]): Promise<number> {
  const s: number[] = [];
  for (let i = 0; i < 7; i++) s.push((await measure(command, [...args, '--help'])).seconds);
  return s.sort((a, b) => a - b)[3];
}

const fmt = (n: number) => `${n.toFixed(2)} s`;

async function main(): Promise<void> {
  const sizes = (process.argv[2] ?? '1,3,10,30').split(',').map(Number);
  const repeat = Number(process.env.BENCH_REPEAT ?? 3);
  const chosen = (process.env.BENCH_TOOLS ?? 'engine,pyinfra,ansible').split(',');
  if (chosen.includes('pyinfra') && !existsSync(PYINFRA)) throw new Error(`${PYINFRA} is missing: bash scripts/setup.sh --bench installs pyinfra`);
  const tools = Object.fromEntries(Object.entries(ALL_TOOLS).filter(([name]) => chosen.includes(name)));
  const node = [process.execPath, [join(ROOT, 'engine')]] as const;
  const tsNode = [join(ROOT, 'node_modules/.bin/ts-node'), [join(ROOT, 'engine')]] as const;
  console.log(`start-up to the first task: node engine ${fmt(await startup(...node))}, ts-node engine ${fmt(await startup(...tsNode))} (median of 7)`);
  console.log(`--help: node engine ${fmt(await helpTime(...node))}, ts-node engine ${fmt(await helpTime(...tsNode))} (median of 7)`);
  const rows: string[] = [];
  for (const n of sizes) {
    const set = await startHosts(n, 'b');
    try {
      const result: Record<string, Record<string, Sample>> = {};
      const left: Record<string, Record<string, string>> = {};
      for (const [name, run] of Object.entries(tools)) {
        wipe(set);
        result[name] = { first: await run(set, false) };
        left[name] = filesLeft(set);
      }
      // The repeated runs alternate between the tools, so a slow moment of the machine hits all.
      for (const phase of ['noop', 'check'] as const) {
        const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(tools).map((name) => [name, []]));
        for (let i = 0; i < repeat; i++) for (const [name, run] of Object.entries(tools)) samples[name].push(await run(set, phase === 'check'));
        for (const name of Object.keys(tools)) {
          result[name][phase] = median(samples[name]);
          if (phase === 'noop' && result[name].noop.changed !== 0) console.error(`${name}: no-op run reported changed=${result[name].noop.changed}`);
        }
      }
      const names = Object.keys(tools);
      const reference = JSON.stringify(left[names[0]]);
      const differing = names.filter((name) => JSON.stringify(left[name]) !== reference);
      console.log(
        `${n} host(s): files left ${differing.length ? `DIFFER (${differing.join(', ')} vs ${names[0]})` : `byte-identical across ${names.join(', ')}`}`,
      );
      for (const phase of ['first', 'noop', 'check']) {
        const cells = names.map(
          (name) => `${fmt(result[name][phase].seconds)} / ${result[name][phase].cpuSeconds.toFixed(1)} s CPU / ${result[name][phase].peakMiB.toFixed(0)} MiB`,
        );
        const e = result.engine?.[phase];
        const ratios = e ? names.filter((m) => m !== 'engine').map((m) => `${(result[m][phase].seconds / e.seconds).toFixed(1)}x`) : [];
        rows.push(`| ${n} | ${phase} | ${cells.join(' | ')} | ${ratios.join(' | ')} |`);
      }
      console.log(rows.slice(-3).join('\n'));
    } finally {
      await set.stop();
    }
  }
  const names = Object.keys(tools);
  const others = names.filter((m) => m !== 'engine');
  console.log(
    `\n| hosts | run | ${names.map((m) => `${m} (wall / CPU / peak RSS)`).join(' | ')} | ${others.map((m) => `${m} / engine`).join(' | ')} |\n|${'---|'.repeat(2 + names.length + others.length)}\n${rows.join('\n')}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
