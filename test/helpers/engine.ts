// Runs the real CLI (`ts-node engine ...`) the way users do, and helpers to look at host files.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AWS_TEST_SECRET } from './moto';

export const ROOT = resolve(__dirname, '..', '..');

export interface EngineRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The DRBD shared secret the lab's DRBD test declares (the lab's site file has no DRBD). */
export const LAB_DRBD_SECRET = 'lab-drbd-secret-5c9e';

/**
 * The secrets the test sites use (the lab's site file, moto's credentials). No engine output of
 * any test may contain one: every run is scanned, whatever the test itself asserts.
 */
const SITE_SECRETS: Record<string, string> = {
  hacluster_password: siteValue('hacluster_password'),
  pbx_api_token: siteValue('pbx_api_token'),
  drbd_shared_secret: LAB_DRBD_SECRET,
  'AWS secret key': AWS_TEST_SECRET,
};

function siteValue(name: string): string {
  const found = new RegExp(`^${name}: (.+)$`, 'm').exec(readFileSync(join(ROOT, 'inventory/lab-vars.yml'), 'utf8'));
  if (!found) throw new Error(`inventory/lab-vars.yml has no ${name}`);
  return found[1].trim();
}

/**
 * Runs the engine; resolves with its exit code and output. A run that has not ended after
 * `limitMs` is killed and fails the test with what it printed so far, so a hang shows where it
 * hung instead of running into the test's own timeout.
 */
export function engine(args: string[], env: Record<string, string> = {}, limitMs = 300_000): Promise<EngineRun> {
  return new Promise((done, fail) => {
    execFile(
      join(ROOT, 'node_modules/.bin/ts-node'),
      [join(ROOT, 'engine'), ...args],
      { cwd: ROOT, env: { ...process.env, CI: 'true', ...env }, maxBuffer: 64 * 1024 * 1024, timeout: limitMs, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        if (err?.killed)
          return fail(new Error(`engine ${args.join(' ')} did not end within ${limitMs / 1000} s; it printed:\n${stdout.slice(-4000)}${stderr.slice(-1000)}`));
        const leaked = Object.entries(SITE_SECRETS).filter(([, value]) => stdout.includes(value) || stderr.includes(value));
        if (leaked.length) return fail(new Error(`engine ${args.join(' ')} printed the secret ${leaked.map(([name]) => name).join(', ')}`));
        done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/**
 * Parses the PLAY RECAP lines into numbers per host. No recap at all is an error (a loop over its
 * hosts would pass without checking anything); with `hosts`, the recap must name exactly those.
 */
export function recap(stdout: string, hosts?: string[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  const section = (stdout.split('PLAY RECAP').pop() ?? '').split('WOULD CHANGE')[0];
  for (const line of section.split('\n')) {
    const m = /^(\S+)\s+:\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    out[m[1]] = Object.fromEntries([...m[2].matchAll(/(\w+)=(\d+)/g)].map((x) => [x[1], Number(x[2])]));
  }
  const found = Object.keys(out);
  if (!found.length) throw new Error(`no PLAY RECAP in the output:\n${stdout.slice(-2000)}`);
  if (hosts && [...found].sort().join(' ') !== [...hosts].sort().join(' '))
    throw new Error(`the recap names ${found.join(', ')}, expected ${hosts.join(', ')}`);
  return out;
}

/**
 * Every file under dir with its sha256 and mtime, to prove a dry run touched nothing. The run
 * lock's info file (who holds the host now) is the engine's own bookkeeping and is left out.
 */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).filter((n) => n !== 'engine.lock.info')) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) {
        out[`${p}/`] = `dir ${st.mode.toString(8)} ${st.mtimeMs}`;
        walk(p);
      } else out[p] = `${createHash('sha256').update(readFileSync(p)).digest('hex')} ${st.mode.toString(8)} ${st.mtimeMs}`;
    }
  };
  walk(dir);
  return out;
}

/** A scratch project directory with the given files (playbooks, roles, templates). */
export function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'engine-project-'));
  const { mkdirSync } = require('node:fs') as typeof import('node:fs');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** `host | role : task` of every changed result in plain output, handlers included; sorted, once each. */
export function changedTasks(stdout: string): string[] {
  const changed = new Set<string>();
  let task = '';
  for (const line of stdout.split('\n')) {
    const header = /^(?:TASK|RUNNING HANDLER) \[(.*)\] \*{3,}$/.exec(line);
    if (header) task = header[1];
    const host = /^changed: \[([^\]\s]+)/.exec(line);
    if (host) changed.add(`${host[1]} | ${task}`);
  }
  return [...changed].sort();
}

/** The events of a `--json` run. */
export function jsonEvents(stdout: string): Record<string, any>[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

/** changedTasks() of a `--json` run, read from its recap's list of changes. */
export function changedTasksOfJson(stdout: string): string[] {
  const recapEvent = jsonEvents(stdout).find((e) => e.kind === 'recap');
  if (!recapEvent) throw new Error('no recap in the JSON output');
  const changes = recapEvent.changes as Record<string, { role?: string; task: string }[]>;
  return [...new Set(Object.entries(changes).flatMap(([host, list]) => list.map((c) => `${host} | ${c.role ? `${c.role} : ` : ''}${c.task}`)))].sort();
}
