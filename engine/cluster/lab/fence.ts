// The lab's power switch. A node's simulated BMC (bmc.ts), asked over IPMI by the cluster's
// fence_ipmilan, drops a power request into a directory of the lab; this daemon, started by
// `lab up`, powers the target node off or on (as `lab kill`/`lab start` do) and writes the answer
// back. So STONITH stays enabled in the lab and really removes a node.
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ENGINE_ENTRY, PROJECT_ROOT } from '../paths';
import { labDir, type LabNode, paths } from './config';
import { runner } from './host';
import { powerOff, powerOn } from './power';
import { isAlive } from '../../core/process';

const requests = () => join(paths.fenceDir(), 'requests');
const replies = () => join(paths.fenceDir(), 'replies');

function log(line: string): void {
  appendFileSync(paths.fencedLog(), `${new Date().toISOString()} ${line}\n`);
}

/** Starts the daemon unless it already runs; it stops with `lab down` (by its PID). */
export function startFenceDaemon(): void {
  mkdirSync(requests(), { recursive: true });
  mkdirSync(replies(), { recursive: true });
  if (existsSync(paths.fencedPid()) && isAlive(Number(readFileSync(paths.fencedPid(), 'utf8')))) return;
  const child = spawn(process.execPath, [ENGINE_ENTRY, 'lab', 'fenced'], {
    cwd: PROJECT_ROOT,
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, PBX_LAB_DIR: labDir() },
  });
  child.unref();
  writeFileSync(paths.fencedPid(), String(child.pid));
}

export function stopFenceDaemon(): void {
  if (!existsSync(paths.fencedPid())) return;
  const pid = Number(readFileSync(paths.fencedPid(), 'utf8'));
  if (isAlive(pid)) process.kill(pid, 'SIGTERM');
  rmSync(paths.fencedPid(), { force: true });
}

function parseRequest(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]),
  );
}

/** One request (off or on): rc 0 done, 1 failed. */
async function handle(request: Record<string, string>, nodes: LabNode[]): Promise<{ rc: number; output: string }> {
  const node = nodes.find((n) => n.name === request.plug);
  if (!node) return { rc: 1, output: `unknown node '${request.plug ?? ''}'` };
  const run = await runner();
  switch (request.action) {
    case 'off':
      await powerOff(run, node);
      return { rc: 0, output: 'powered off' };
    case 'on':
      await powerOn(run, node);
      return { rc: 0, output: 'powered on' };
    default:
      return { rc: 1, output: `unsupported action '${request.action ?? ''}'` };
  }
}

/** The daemon's loop: a request is a file; the reply is written atomically under the same name. */
export async function serveFencing(nodes: LabNode[]): Promise<void> {
  log(`fenced: serving ${nodes.map((n) => n.name).join(', ')}`);
  for (;;) {
    for (const name of readdirSync(requests()).filter((f) => f.endsWith('.req'))) {
      const file = join(requests(), name);
      const request = parseRequest(readFileSync(file, 'utf8'));
      rmSync(file, { force: true });
      const reply = await handle(request, nodes).catch((err: Error) => ({ rc: 1, output: err.message }));
      log(`${request.action ?? '?'} ${request.plug ?? ''} from ${request.from ?? '?'}: rc ${reply.rc} ${reply.output.split('\n')[0]}`);
      const tmp = join(replies(), `.${name}`);
      writeFileSync(tmp, `rc=${reply.rc}\n${reply.output}\n`);
      renameSync(tmp, join(replies(), name.replace(/\.req$/, '.rep')));
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
