// Any module the engine does not implement, run through Ansible's own module protocol: when
// ansible-core is installed on the controller, its plugin loader finds the module (ansible.builtin,
// a collection, a role's or the playbook's library/) and packs it as the AnsiballZ script Ansible
// pipes to the host's Python (ansible_module.py, a persistent worker); the engine pipes that script
// the same way and reads the module's JSON answer. Check mode and diff are the module's own: in a
// dry run the module runs with _ansible_check_mode, which is its promise to change nothing.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { quotePath } from '../connection/quote';
import { diffsOf } from './util/diff';
import type { ExecResult } from '../connection/types';
import { type AnsibleCore, ansibleCore, builtinRoutes, collectionRoots } from '../ansible-core';
import { PROJECT_ROOT } from '../paths';
import { type Module, ModuleError, type Outcome, type ProbeContext, Query } from './types';

// The sources' copy: the build (dist/) holds no Python.
const BRIDGE = join(PROJECT_ROOT, 'engine/core/modules/ansible_module.py');

const hasModuleFile = (dir: string, name: string) => existsSync(dir) && readdirSync(dir).some((f) => f === name || f.startsWith(`${name}.`));

/** Whether Ansible would find a module of this name: at load, without starting Python. */
function ansibleHas(name: string, libraryDirs: string[], found: AnsibleCore): boolean {
  const parts = name.split('.');
  if (parts.length === 1 && libraryDirs.some((d) => hasModuleFile(d, name))) return true;
  if (parts.length === 1 || (parts.length === 3 && parts[0] === 'ansible' && ['builtin', 'legacy'].includes(parts[1]))) {
    const short = parts[parts.length - 1];
    if (hasModuleFile(join(found.dir, 'modules'), short)) return true;
    const redirect = builtinRoutes(found.dir).modules?.[short]?.redirect;
    return redirect !== undefined && ansibleHas(redirect, libraryDirs, found);
  }
  if (parts.length !== 3) return false;
  const [ns, coll, short] = parts;
  return collectionRoots().some((root) => hasModuleFile(join(root, 'ansible_collections', ns, coll, 'plugins/modules'), short));
}

/** The bridge worker, started on first use; idle, it does not keep the engine running. */
class Bridge {
  private child?: ChildProcessWithoutNullStreams;
  private buffered = '';
  private waiting: Array<(answer: Record<string, unknown>) => void> = [];

  request(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const child = this.started();
    (child.stdout as unknown as { ref(): void }).ref();
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      child.stdin.write(`${JSON.stringify(body)}\n`);
    });
  }

  private started(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawn(ansibleCore()!.python, [BRIDGE], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.stdout.on('data', (d: Buffer) => this.answered(d));
    // A worker that ended answers its waiting requests through the close below, not as a crash.
    child.stdin.on('error', () => undefined);
    // Its stdout closing is what a run waits on (the process itself is unref'd); the next request starts a new one.
    child.stdout.on('close', () => {
      if (this.child === child) this.child = undefined;
      this.buffered = '';
      for (const resolve of this.waiting.splice(0)) resolve({ error: `the Ansible module worker ended: ${stderr.trim()}` });
    });
    child.unref();
    for (const stream of [child.stdin, child.stderr] as unknown as Array<{ unref(): void }>) stream.unref();
    process.once('exit', () => child.kill());
    this.child = child;
    return child;
  }

  private answered(data: Buffer): void {
    this.buffered += data;
    let nl = this.buffered.indexOf('\n');
    while (nl >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      this.waiting.shift()?.(JSON.parse(line));
      nl = this.buffered.indexOf('\n');
    }
    if (!this.waiting.length) (this.child!.stdout as unknown as { unref(): void }).unref();
  }
}

const bridge = new Bridge();

/** The module packed for this task and host, and (a dry run) what its check-mode run said. */
interface Found {
  payload: Buffer;
  fqcn: string;
  interpreter?: string;
  /** The module's answer to its check-mode run (a dry run only). */
  checked?: Record<string, unknown>;
}

/** Runs the payload on the host's Python, as Ansible's pipelining does (stdin, no file). */
const INTERPRETER_SCRIPT = (interpreter: string | undefined) =>
  interpreter ? `exec ${quotePath(interpreter)}` : 'if [ -x /usr/bin/python3 ]; then exec /usr/bin/python3; else exec python3; fi';

/** The module's JSON answer, found among other output as Ansible finds it; a failure otherwise. */
export function moduleAnswer(res: ExecResult): Record<string, unknown> {
  const lines = res.stdout.split('\n');
  const start = lines.findIndex((l) => l.trim().startsWith('{'));
  let end = lines.length - 1;
  while (end > start && !lines[end].trim().endsWith('}')) end--;
  if (start >= 0) {
    try {
      return JSON.parse(lines.slice(start, end + 1).join('\n'));
    } catch {
      // Not JSON after all: reported as Ansible reports it, below.
    }
  }
  return {
    failed: true,
    msg: 'MODULE FAILURE\nSee stdout/stderr for the exact error',
    module_stdout: res.stdout,
    module_stderr: res.stderr,
    rc: res.rc,
  };
}

/** The module's answer as the engine's outcome: changed, failed, msg, its facts and diff. */
export function outcomeOf(answer: Record<string, unknown>, fqcn: string): Outcome {
  const { changed, failed, msg, diff, ansible_facts, invocation: _i, _ansible_no_log: _n, ...rest } = answer;
  // As Ansible's task executor: without `failed`, a non-zero rc is a failure.
  const isFailed = failed === true || (failed === undefined && 'rc' in answer && answer.rc !== 0 && answer.rc !== '0');
  return {
    changed: changed === true,
    failed: isFailed || undefined,
    msg: typeof msg === 'string' ? msg : answer.skipped ? `skipped by ${fqcn}` : isFailed ? `${fqcn} failed` : `${fqcn} ran`,
    diff: diffsOf(diff),
    result: rest,
    facts: ansible_facts ? { ansible_facts } : undefined,
  };
}

const modules = new Map<string, Module<Record<string, unknown>, Found>>();

async function payloadFor(name: string, args: Record<string, unknown>, ctx: ProbeContext, libraryDirs: string[]): Promise<Omit<Found, 'interpreter'>> {
  const answer = await bridge.request({
    name,
    args,
    dirs: libraryDirs,
    check: ctx.check,
    diff: true,
    interpreter: ctx.interpreter,
  });
  if (typeof answer.error === 'string') throw new ModuleError(answer.error);
  if (answer.action)
    throw new ModuleError(`${answer.resolved} needs its Ansible action plugin (work on the controller before the module runs), which the engine does not run`);
  return { payload: Buffer.from(String(answer.payload), 'base64'), fqcn: String(answer.resolved) };
}

function fallbackModule(name: string, libraryDirs: string[]): Module<Record<string, unknown>, Found> {
  const key = `${name}\0${libraryDirs.join('\0')}`;
  const known = modules.get(key);
  if (known) return known;
  const module: Module<Record<string, unknown>, Found> = {
    name,
    freeForm: 'kv',
    schema: { type: 'object', description: `Ansible's module ${name}, run through Ansible's module protocol.`, properties: {} },
    prepare: async (args, ctx) => ({ ...(await payloadFor(name, args, ctx, libraryDirs)), interpreter: ctx.interpreter }),
    probe(_args, ctx) {
      const built = ctx.prepared as Found;
      if (!ctx.check) return Promise.resolve(built);
      return new Query(INTERPRETER_SCRIPT(ctx.interpreter), (res) => ({ ...built, checked: moduleAnswer(res) }), {
        stdin: built.payload,
        anyStatus: true,
        live: true,
        what: `${built.fqcn} (check mode)`,
      });
    },
    plan(_args, found) {
      if (found.checked) return outcomeOf(found.checked, found.fqcn);
      return {
        changed: false,
        msg: `${found.fqcn} runs`,
        steps: [
          {
            kind: 'run',
            script: INTERPRETER_SCRIPT(found.interpreter),
            stdin: found.payload,
            what: found.fqcn,
            result: (res) => {
              const outcome = outcomeOf(moduleAnswer(res), found.fqcn);
              return {
                ...outcome.result,
                changed: outcome.changed,
                failed: outcome.failed,
                msg: outcome.msg,
                diff: outcome.diff,
                ansible_facts: outcome.facts?.ansible_facts,
              };
            },
          },
        ],
      };
    },
  };
  modules.set(key, module);
  return module;
}

/**
 * The module Ansible would run for a task key the engine does not implement, or why there is none:
 * ansible-core missing on the controller, or no module of that name anywhere Ansible looks.
 */
export function ansibleModuleFor(name: string, libraryDirs: string[]): { module?: Module; why?: string } {
  const found = ansibleCore();
  if (!found) return { why: `it is not one of the engine's modules, and ansible-core (which would run it) is not installed on the controller` };
  if (!ansibleHas(name, libraryDirs, found)) return { why: 'neither the engine nor Ansible (ansible-core, installed collections, library/) has it' };
  return { module: fallbackModule(name, libraryDirs) };
}
