// Runs what modules return as data: the queries of their probes and the steps of their plans,
// on the task's connection (with its become, environment and deadline).
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { quote, quotePath } from '../connection/quote';
import type { Connection, ExecOptions, ExecResult } from '../connection/types';
import { type Module, ModuleError, type Outcome, type ProbeContext, Query, type RunStep, type Step, type WriteStep } from '../modules/types';
import { sha256 } from '../modules/util/remote';

/** Runs a command line on the task's host, with the task's become and environment. */
export type Exec = (script: string, options?: Pick<ExecOptions, 'stdin' | 'cwd'>) => Promise<ExecResult>;

export function execOn(conn: Connection, options: Pick<ExecOptions, 'become' | 'env'>): Exec {
  return (script, more = {}) => conn.run(script, { ...options, ...more });
}

/** A multi-line script is named by its first line, not dumped into the message. */
function nameOf(script: string, what: string | undefined): string {
  return what ?? (script.includes('\n') ? `${script.split('\n')[0]} ...` : script);
}

/**
 * Runs a query and the further queries its parser asks for; returns what they found. `answered`
 * is the first query's answer when it was fetched already (with other tasks' probes).
 */
export async function runQuery<Found>(exec: Exec, query: Query<Found>, answered?: ExecResult): Promise<Found> {
  let next: Found | Query<Found> = query;
  let given = answered;
  while (next instanceof Query) {
    const look: Query<Found> = next;
    const res = given ?? (await exec(look.script, { stdin: look.options.stdin, cwd: look.options.cwd }));
    given = undefined;
    if (res.rc !== 0 && !look.options.anyStatus) throw ModuleError.ofCommand(nameOf(look.script, look.options.what), res);
    next = look.parse(res);
  }
  return next;
}

/** What the module finds: its query run on the host, or what its controller-side probe returns. */
export async function probeWith<Args, Found>(exec: Exec, module: Module<Args, Found>, args: Args, ctx: ProbeContext): Promise<Found | undefined> {
  if (!module.probe) return undefined;
  const look = module.probe(args, module.prepare ? { ...ctx, prepared: await module.prepare(args, ctx) } : ctx);
  return look instanceof Query ? runQuery(exec, look) : look;
}

/** A step as one command on the host: its script, its stdin, and how its answer becomes the step's result. */
export interface StepCommand {
  script: string;
  stdin?: string | Buffer;
  cwd?: string;
  finish(res: ExecResult, seconds: number): Record<string, unknown>;
}

/**
 * The script of an atomic write: temp file in the same directory, checksum verified, then rename.
 * A dropped connection or a killed run leaves the old file intact and no partial one. The
 * checksum comes first on stdin (read by the shell, which reads a line byte by byte and leaves
 * the rest to cat): an argv is visible to every user of the host, and the checksum of a short
 * secret gives the secret away. Every program it starts costs the host a fork and an exec (a
 * first run writes hundreds of files), so the shell does what it can itself: the temp file is
 * created by its own redirection (noclobber: O_EXCL, under a random name) with the mode a new file
 * gets, the checksum is cut from sha256sum's line by parameter expansion, leftovers are a glob.
 */
function writeScript(step: Omit<WriteStep, 'kind'>, backupName: string): string {
  const p = quotePath(step.path);
  const parent = posix.dirname(step.path);
  const tempPrefix = `${parent}/.${posix.basename(step.path)}.engine-`;
  const keep = [step.mode ? '' : `chmod --reference=${p} "$t"`, step.owner && step.group ? '' : `chown --reference=${p} "$t" 2>/dev/null || true`].filter(
    Boolean,
  );
  const dir = quotePath(parent);
  return [
    'set -e',
    'IFS= read -r want',
    step.makeParents ? `[ -d ${dir} ] || mkdir -p -- ${dir}` : '',
    // A temp file a killed write left behind (its shell got no chance to clean up) goes first:
    // one run at a time per host (the run lock), so no other write of this path is under way.
    `for f in ${quotePath(tempPrefix)}*; do if [ -e "$f" ] || [ -L "$f" ]; then rm -f -- "$f"; fi; done`,
    `t=${quotePath(tempPrefix + randomBytes(12).toString('hex'))}`,
    `trap 'rm -f "$t"' EXIT`,
    // A dropped connection shows up as SIGPIPE/SIGHUP; exit through the EXIT trap, never mv.
    `trap 'exit 1' HUP INT TERM PIPE`,
    'set -C; cat > "$t"; set +C',
    's=$(sha256sum < "$t")',
    `if [ "\${s%% *}" != "$want" ] || [ ! -f "$t" ] || [ -L "$t" ]; then echo 'upload incomplete, file left unchanged' >&2; exit 3; fi`,
    keep.length ? `if [ -e ${p} ]; then ${keep.join('; ')}; fi` : '',
    step.mode ? `chmod ${quote(step.mode)} "$t"` : '',
    step.owner || step.group ? `chown ${quote(`${step.owner ?? ''}${step.group ? `:${step.group}` : ''}`)} "$t"` : '',
    step.backup ? `if [ -f ${p} ]; then cp -p ${p} ${quotePath(backupName)}; fi` : '',
    `mv -f "$t" ${p}`,
    'trap - EXIT',
    step.reportStat ? `stat -c 'stat %U %G %u %g %a' -- ${p}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

function writeCommand(step: Omit<WriteStep, 'kind'>): StepCommand {
  const backupName = `${step.path}.${new Date().toISOString().replace(/[:.]/g, '-')}~`;
  return {
    script: writeScript(step, backupName),
    stdin: Buffer.concat([Buffer.from(`${sha256(step.content)}\n`), step.content]),
    finish(res) {
      if (res.rc !== 0) throw ModuleError.ofCommand(`writing ${step.path}`, res);
      return { ...(step.backup ? { [step.backupKey ?? 'backup_file']: backupName } : {}), ...(step.reportStat ? writtenStat(res.stdout) : {}) };
    },
  };
}

/** The written file's owner, group and mode as Ansible's copy and template return them. */
function writtenStat(stdout: string): Record<string, unknown> {
  const line = stdout.split('\n').find((l) => l.startsWith('stat '));
  if (!line) return {};
  const [, owner, group, uid, gid, mode] = line.split(' ');
  return { owner, group, uid: Number(uid), gid: Number(gid), mode: mode.padStart(4, '0') };
}

/** The one command of a run step, or of a write without validate. */
export function commandOf(step: RunStep | WriteStep): StepCommand {
  if (step.kind === 'write') return writeCommand(step);
  return {
    script: step.script,
    stdin: step.stdin,
    cwd: step.cwd,
    finish(res, seconds) {
      if (step.result) return step.result({ ...res, seconds });
      if (res.rc !== 0) throw ModuleError.ofCommand(nameOf(step.script, step.what), res);
      return {};
    },
  };
}

async function runCommand(exec: Exec, command: StepCommand): Promise<Record<string, unknown>> {
  const start = Date.now();
  const res = await exec(command.script, { stdin: command.stdin, cwd: command.cwd });
  return command.finish(res, (Date.now() - start) / 1000);
}

/** The new content is checked as a temporary copy next to the file; only then does it replace it. */
async function validated(exec: Exec, step: WriteStep): Promise<void> {
  const tmp = `${step.path}.validate.${process.pid}`;
  await runCommand(exec, writeCommand({ path: tmp, content: step.content, mode: '0600' }));
  try {
    const command = step.validate!.replace('%s', quotePath(tmp));
    const res = await exec(command);
    if (res.rc !== 0) throw ModuleError.ofCommand(`validate ${command}`, res);
  } finally {
    await exec(`rm -f ${quotePath(tmp)}`);
  }
}

/** Probes and plans again with other arguments (see ReplanStep). */
export type Replan = (args: unknown) => Promise<Outcome>;

/**
 * Runs the steps in order; a step whose result says `failed` stops the rest. Returns the merged
 * results, after `before` (the result of steps made already: a guarded first step, guard.ts).
 */
export async function runSteps(exec: Exec, steps: Step[], replan: Replan, before: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = { ...before };
  for (const step of steps) {
    if (result.failed) break;
    if (step.kind === 'run') Object.assign(result, await runCommand(exec, commandOf(step)));
    else if (step.kind === 'write') {
      if (step.validate) await validated(exec, step);
      Object.assign(result, await runCommand(exec, commandOf(step)));
    } else if (step.kind === 'call') Object.assign(result, (await step.fn()) ?? {});
    else Object.assign(result, await replanned(exec, step.args, step.result ?? {}, replan));
  }
  return result;
}

async function replanned(exec: Exec, args: unknown, extra: Record<string, unknown>, replan: Replan): Promise<Record<string, unknown>> {
  const outcome = await replan(args);
  if (outcome.steps?.some((s) => s.kind === 'replan')) throw new Error('a plan made again must not ask to be made again');
  const base = { changed: outcome.changed, msg: outcome.msg, ...extra, ...(outcome.diff?.length ? { diff: outcome.diff } : {}), ...(outcome.result ?? {}) };
  if (outcome.failed) return { ...base, failed: true };
  return { ...base, ...(await runSteps(exec, outcome.steps ?? [], replan)) };
}
