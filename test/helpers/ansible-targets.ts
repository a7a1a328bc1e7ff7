// ansible-core's own integration targets, run as ansible-test runs a role-style target (a play of
// `testhost`, local connection, the target as its one role, `output_dir` set), once with
// ansible-playbook and once with the engine, on this machine. The targets are read from
// ansible-core's source distribution on PyPI, downloaded once into a cache: never committed.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './engine';

const ANSIBLE_CORE_VERSION = '2.14.17';

const CACHE = process.env.ENGINE_TARGETS_CACHE ?? join(homedir(), '.cache', 'pbx-engine', `ansible-core-${ANSIBLE_CORE_VERSION}`);

/** The sdist's `test/integration/targets`, downloaded (pip) and unpacked on first use. */
export function targetsDir(): string {
  const targets = join(CACHE, `ansible_core-${ANSIBLE_CORE_VERSION}`, 'test', 'integration', 'targets');
  if (existsSync(join(targets, 'lineinfile'))) return targets;
  mkdirSync(CACHE, { recursive: true });
  const python = process.env.ENGINE_TARGETS_PYTHON ?? 'python3';
  execFileSync(python, ['-m', 'pip', 'download', '-q', '--no-deps', '--no-binary', ':all:', `ansible-core==${ANSIBLE_CORE_VERSION}`, '-d', CACHE], {
    stdio: 'inherit',
  });
  execFileSync('tar', ['-xzf', `ansible_core-${ANSIBLE_CORE_VERSION}.tar.gz`, `ansible_core-${ANSIBLE_CORE_VERSION}/test/integration/targets`], { cwd: CACHE });
  return targets;
}

export interface TargetEnd {
  /** Tasks ok (changed included) and failed as the recap counts them; null: no recap (did not load). */
  ok: number | null;
  failed: number | null;
  /** What stopped it, when something did: the first failure, or the load error. */
  why: string;
  seconds: number;
}

export type Tool = 'ansible' | 'engine';

/**
 * The hosts of a target's own INI `inventory` (test_core's `unreachable`, at 127.0.0.1:1011),
 * written into the run's so that a task delegated to one reaches that loopback address, never
 * a name resolved elsewhere. A host at any other address refuses the target (network rule).
 */
function targetHosts(target: string): { name: string; vars: Record<string, string> }[] {
  const file = join(targetsDir(), target, 'inventory');
  if (!existsSync(file)) return [];
  const hosts = readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line && !line.startsWith('['))
    .map((line) => {
      const [name, ...pairs] = line.split(/\s+/);
      return { name, vars: Object.fromEntries(pairs.map((p) => p.split('=', 2) as [string, string])) };
    });
  const away = hosts.find((h) => h.name !== 'testhost' && !/^127\./.test(h.vars.ansible_host ?? ''));
  if (away)
    throw new Error(`${target}'s inventory puts ${away.name} at ${away.vars.ansible_host ?? 'its name'}: only loopback addresses are reached from here`);
  return hosts.filter((h) => h.name !== 'testhost');
}

/**
 * Targets that fetch from the internet (get_url's and uri's httpbin, unarchive's test_download,
 * package repositories, git): refused, as only loopback addresses may be reached from here.
 */
const REACH_THE_INTERNET = ['get_url', 'uri', 'unarchive', 'apt', 'apt_repository', 'git', 'pip', 'lookup_url', 'yum', 'dnf', 'ansible-galaxy-collection-scm'];

/** Writes the play and inventory ansible-test would write for a role-style target. */
function prepare(target: string, tool: Tool): string {
  if (REACH_THE_INTERNET.includes(target)) throw new Error(`${target} fetches from the internet: only loopback addresses are reached from here`);
  const work = mkdtempSync(join(tmpdir(), `targets-${tool}-${target}-`));
  const aliases = readFileSync(join(targetsDir(), target, 'aliases'), 'utf8');
  const gather = !/^gather_facts\/no\b/m.test(aliases);
  writeFileSync(join(work, 'play.yml'), `- hosts: testhost\n  gather_facts: ${gather}\n  roles:\n    - { role: ${target} }\n`);
  const own = targetHosts(target)
    .map(
      ({ name, vars }) =>
        `    ${name}:\n${Object.entries(vars)
          .map(([k, v]) => `      ${k}: ${JSON.stringify(v)}\n`)
          .join('')}`,
    )
    .join('');
  writeFileSync(
    join(work, 'inventory.yml'),
    `all:\n  hosts:\n    testhost:\n      ansible_connection: local\n      ansible_python_interpreter: /usr/bin/python3\n${own}`,
  );
  mkdirSync(join(work, 'output'));
  return work;
}

function command(tool: Tool, work: string): { file: string; args: string[] } {
  const common = ['-i', 'inventory.yml', 'play.yml', '-e', `output_dir=${join(work, 'output')}`, '-e', `local_tmp=${join(work, 'output')}`];
  if (tool === 'ansible') return { file: 'ansible-playbook', args: common };
  return { file: process.execPath, args: [join(ROOT, 'engine'), 'run', ...common] };
}

/** Ansible's PLAY RECAP line for testhost: `ok=N changed=N unreachable=N failed=N ...`. */
function recapOf(stdout: string): { ok: number; failed: number } | undefined {
  const line = /^testhost\s+:\s+ok=(\d+)\s+changed=\d+\s+unreachable=(\d+)\s+failed=(\d+)/m.exec(stdout);
  return line ? { ok: Number(line[1]), failed: Number(line[3]) + Number(line[2]) } : undefined;
}

function firstFailure(stdout: string, stderr: string): string {
  const fatal = /^(?:fatal|failed): \[testhost\].*$/m.exec(stdout) ?? /^ {2}✗ .*$|^.*FAILED.*$/m.exec(stdout);
  const error = /^(?:ERROR!|error:).*$/m.exec(`${stderr}\n${stdout}`);
  return (fatal?.[0] ?? error?.[0] ?? stderr.trim().split('\n').at(-1) ?? '').slice(0, 300);
}

/** Runs one target with one tool; its work directory is removed after. */
export function runTarget(target: string, tool: Tool, limitMs = 300_000): Promise<TargetEnd> {
  const work = prepare(target, tool);
  const { file, args } = command(tool, work);
  const started = Date.now();
  return new Promise((done) => {
    execFile(
      file,
      args,
      {
        cwd: work,
        env: { ...process.env, CI: 'true', ANSIBLE_ROLES_PATH: targetsDir(), ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0', ANSIBLE_RETRY_FILES_ENABLED: '0' },
        maxBuffer: 64 * 1024 * 1024,
        timeout: limitMs,
        killSignal: 'SIGKILL',
      },
      (err, stdout, stderr) => {
        const seconds = (Date.now() - started) / 1000;
        rmSync(work, { recursive: true, force: true });
        const counts = recapOf(stdout);
        const why = err?.killed ? `did not end within ${limitMs / 1000} s` : counts?.failed === 0 ? '' : firstFailure(stdout, stderr);
        done({ ok: counts?.ok ?? null, failed: counts?.failed ?? null, why, seconds });
      },
    );
  });
}

/** A target ends as under Ansible: both load, fail the same number of tasks, and ok within 10 %. */
export function endsAlike(ansible: TargetEnd, engine: TargetEnd): boolean {
  if (ansible.ok === null || engine.ok === null) return ansible.ok === engine.ok;
  return ansible.failed === engine.failed && Math.abs(engine.ok - ansible.ok) <= Math.max(1, 0.1 * ansible.ok);
}
