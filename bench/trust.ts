// Trust figures: faults injected into real runs on loopback sshd hosts (a hung session, a reset
// mid-upload, an exception in a task, an undefined variable, a task timeout, a second run against
// held hosts, a killed run), with the exit code each run ended with, the hosts that finished and
// the files left half-written; secrets seen in any argv during a become-password run; the fuzz
// corpus by outcome. Bounded: every run has a deadline, the hosts stop at the end. Not a test.
// Usage: npx ts-node bench/trust.ts
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { engine, project, recap } from '../test/helpers/engine';
import { runFuzz } from '../test/helpers/fuzz-corpus';
import { type HostSet, sessionProcesses, signalAll, startHosts, type TestHost } from '../test/helpers/sshd';

const ROOT = resolve(__dirname, '..');

interface FaultRow {
  fault: string;
  expectedExit: number;
  exit: number;
  othersFinished: string;
  halfWritten: number;
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** Temp files of atomic writes left in the hosts' roots (a killed write's, until the next write of that path). */
function halfWritten(set: HostSet): number {
  return set.hosts.reduce((n, h) => n + readdirSync(h.root).filter((f) => /^\..+\.[A-Za-z0-9]{6}$/.test(f)).length, 0);
}

function finished(stdout: string, hosts: TestHost[], want: Record<string, number>): string {
  const r = recap(stdout);
  const ok = hosts.filter((h) => Object.entries(want).every(([k, v]) => r[h.name]?.[k] === v));
  return `${ok.length}/${hosts.length}`;
}

async function faults(set: HostSet): Promise<FaultRow[]> {
  const [a, ...others] = set.hosts;
  const rows: FaultRow[] = [];
  const alive = set.inventory(
    Object.fromEntries(set.hosts.map((h) => [h.name, { ansible_ssh_extra_args: '-o ServerAliveInterval=1 -o ServerAliveCountMax=2' }])),
  );
  const play = (tasks: string) => join(project({ 'play.yml': `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks}` }), 'play.yml');

  const hung = engine(['run', play('    - command: sleep 4\n    - copy: { content: "x\\n", dest: "{{ root }}/after-hang" }\n'), '-i', alive]);
  await until(() => sessionProcesses(a).length > 0, 20_000);
  await new Promise((r) => setTimeout(r, 1000));
  const frozen = sessionProcesses(a);
  signalAll(frozen, 'SIGSTOP');
  const hungRun = await hung;
  signalAll(frozen, 'SIGCONT');
  await until(() => sessionProcesses(a).length === 0, 20_000);
  await new Promise((r) => setTimeout(r, 1500)); // its run lock goes with the session
  rows.push({
    fault: 'ssh session hung mid-command',
    expectedExit: 4,
    exit: hungRun.code,
    othersFinished: finished(hungRun.stdout, others, { ok: 2, unreachable: 0 }),
    halfWritten: halfWritten(set),
  });

  const big = join(project({ 'big.bin': 'x'.repeat(64 * 1024 * 1024) }), 'big.bin');
  const uploadPlay = play(`    - copy: { src: ${big}, dest: "{{ root }}/big.bin" }\n`);
  const upload = engine(['run', uploadPlay, '-i', set.inventory()]);
  await until(() => readdirSync(a.root).some((f) => f.startsWith('.big.bin.')), 60_000);
  signalAll(sessionProcesses(a), 'SIGKILL');
  const reset = await upload;
  await new Promise((r) => setTimeout(r, 1500));
  rows.push({
    fault: 'connection reset mid-upload',
    expectedExit: 4,
    exit: reset.code,
    othersFinished: finished(reset.stdout, others, { changed: 1, unreachable: 0 }),
    halfWritten: halfWritten(set),
  });
  const rerun = await engine(['run', uploadPlay, '-i', set.inventory()]);
  rows.push({
    fault: '(re-run after the reset: converges)',
    expectedExit: 0,
    exit: rerun.code,
    othersFinished: finished(rerun.stdout, others, { changed: 0 }),
    halfWritten: halfWritten(set),
  });

  const exception = await engine([
    'run',
    play('    - lineinfile: { path: "{{ root }}/f", regexp: "{{ rx | default(\'^x$\') }}", line: x, create: true }\n'),
    '-i',
    set.inventory({ [a.name]: { rx: '(' } }),
  ]);
  rows.push({
    fault: 'exception in a task (regexp "(")',
    expectedExit: 2,
    exit: exception.code,
    othersFinished: finished(exception.stdout, others, { failed: 0, ok: 1 }),
    halfWritten: halfWritten(set),
  });

  const undef = await engine([
    'run',
    play('    - debug: { msg: x }\n      when: flag\n'),
    '-i',
    set.inventory(Object.fromEntries(others.map((h) => [h.name, { flag: true }]))),
  ]);
  rows.push({
    fault: 'undefined variable in when (one host)',
    expectedExit: 2,
    exit: undef.code,
    othersFinished: finished(undef.stdout, others, { failed: 0, ok: 1 }),
    halfWritten: halfWritten(set),
  });

  const timeout = await engine(['run', play('    - command: sleep 30\n      timeout: 2\n'), '-i', set.inventory()]);
  rows.push({
    fault: 'timeout: 2 on a 30 s command',
    expectedExit: 2,
    exit: timeout.code,
    othersFinished: 'n/a (all time out)',
    halfWritten: halfWritten(set),
  });

  const holder = spawn(join(ROOT, 'node_modules/.bin/ts-node'), [join(ROOT, 'engine'), 'run', play('    - command: sleep 15\n'), '-i', set.inventory()], {
    cwd: ROOT,
    env: { ...process.env, CI: 'true' },
    stdio: 'ignore',
  });
  await until(() => sessionProcesses(a).length > 0, 20_000);
  await new Promise((r) => setTimeout(r, 1500));
  const second = await engine(['run', play('    - command: "true"\n'), '-i', set.inventory()]);
  rows.push({
    fault: 'second run while one holds the hosts',
    expectedExit: 2,
    exit: second.code,
    othersFinished: 'n/a (refused)',
    halfWritten: halfWritten(set),
  });
  holder.kill('SIGKILL');
  const started = Date.now();
  let after = await engine(['run', play('    - command: "true"\n'), '-i', set.inventory()]);
  while (after.code !== 0 && Date.now() - started < 10_000) after = await engine(['run', play('    - command: "true"\n'), '-i', set.inventory()]);
  rows.push({
    fault: `run killed (SIGKILL); next run after ${((Date.now() - started) / 1000).toFixed(1)} s`,
    expectedExit: 0,
    exit: after.code,
    othersFinished: finished(after.stdout, set.hosts, { failed: 0 }),
    halfWritten: halfWritten(set),
  });
  return rows;
}

/** Samples every argv on this machine (test hosts are its processes) during a become-password run. */
async function argvSecrets(set: HostSet): Promise<{ samples: number; seen: number }> {
  const password = `bench-pw-${process.pid}`;
  const inv = set.inventory(Object.fromEntries(set.hosts.map((h) => [h.name, { ansible_become_password: password }])));
  const pb = join(
    project({
      'play.yml':
        '- hosts: all\n  gather_facts: false\n  become: true\n  tasks:\n    - command: id -un\n    - user: { name: nobody, password: "$6$benchsalt$abcdefghijklmnopqrstuvwxyz" }\n      check_mode: true\n',
    }),
    'play.yml',
  );
  let samples = 0;
  let seen = 0;
  const timer = setInterval(() => {
    samples++;
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (args.includes(password) || args.includes('$6$benchsalt')) seen++;
      } catch {
        // gone
      }
    }
  }, 20);
  await engine(['run', pb, '-i', inv]).finally(() => clearInterval(timer));
  return { samples, seen };
}

async function main(): Promise<void> {
  const set = await startHosts(3, 'bt');
  try {
    const rows = await faults(set);
    console.log('\nfaults injected (3 loopback sshd hosts; the fault is on the first)');
    console.log('| fault | exit (expected) | other hosts finished | half-written files |');
    console.log('|---|---|---|---|');
    for (const r of rows) console.log(`| ${r.fault} | ${r.exit} (${r.expectedExit}) | ${r.othersFinished} | ${r.halfWritten} |`);
    const honest = rows.filter((r) => r.exit === r.expectedExit).length;
    console.log(`\nruns with an honest exit code: ${honest}/${rows.length}`);
    const secrets = await argvSecrets(set);
    console.log(`secrets seen in argv: ${secrets.seen} (in ${secrets.samples} samples of every process during a become-password run)`);
  } finally {
    await set.stop();
  }
  const fuzz = await runFuzz(20261201, 60);
  console.log(
    `\nfuzz: ${fuzz.mutants} mutants, slowest ${fuzz.slowestMs} ms; stack traces ${fuzz.traces.length}; errors without position outside CLI/vault ${fuzz.withoutPosition.length}`,
  );
  for (const [kind, c] of Object.entries(fuzz.counts))
    console.log(
      `  ${kind.padEnd(9)} loaded ${c.loaded}, error with position ${c['error with position']}, without position ${c['error without position']}, stack traces ${c['stack trace']}`,
    );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
