// A lab per test file, in its own directory; labs left behind by an interrupted run (its test
// process gone) are taken down through their own pid files first (the lab's names are fixed:
// one lab at a time).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { engine } from './engine';

const ROOT = resolve(__dirname, '../..');

/** Who made a test lab directory: the test process, so another run can tell whether it is alive. */
const OWNER_FILE = 'test-owner.pid';

export function newLabDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pbx-lab-test-'));
  writeFileSync(join(dir, OWNER_FILE), `${process.pid}\n`);
  return dir;
}

function ownerAlive(dir: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, OWNER_FILE), 'utf8'));
  } catch {
    return false; // made before owners were recorded, or half-removed: nobody claims it
  }
  if (pid === process.pid) return false;
  try {
    // Alive and still a node process (a reused pid of something else does not count).
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node');
  } catch {
    return false;
  }
}

/** Takes the lab of a directory down (through its own pid files) and removes the directory. */
export async function removeLab(dir: string): Promise<void> {
  await engine(['lab', 'down'], { PBX_LAB_DIR: dir });
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Takes down the labs of test runs that are gone (interrupted). A lab whose test process still
 * runs is left alone: `lab up` then refuses, naming it, instead of pulling it from under that run.
 */
export async function takeDownStaleLabs(current: string): Promise<void> {
  for (const old of readdirSync(tmpdir())
    .filter((d) => d.startsWith('pbx-lab-test-'))
    .map((d) => join(tmpdir(), d))) {
    if (old !== current && !ownerAlive(old)) await removeLab(old);
  }
}

/** Runs a command inside a lab node (all its namespaces), as the lab's controller can. */
export function onNode(labDir: string, node: string, command: string): string {
  const nspawn = Number(readFileSync(join(labDir, 'nodes', node, 'nspawn.pid'), 'utf8'));
  const leader = readFileSync(`/proc/${nspawn}/task/${nspawn}/children`, 'utf8').trim().split(/\s+/)[0];
  return execFileSync('nsenter', ['-t', leader, '-a', 'sh', '-c', command], { encoding: 'utf8' });
}

/**
 * The lab's site vars with `edit` applied, written into the lab directory (its schema named by an
 * absolute path, since the copy no longer sits beside it). Returns the file's path.
 */
export function labVars(labDir: string, file: string, edit: (text: string) => string = (t) => t): string {
  const path = join(labDir, file);
  const text = readFileSync(join(ROOT, 'inventory/lab-vars.yml'), 'utf8').replace('$schema=../vars.schema.json', `$schema=${join(ROOT, 'vars.schema.json')}`);
  writeFileSync(path, edit(text));
  return path;
}
