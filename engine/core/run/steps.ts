// Runs what modules return as data: the queries of their probes and the steps of their plans,
// on the task's connection (with its become, environment and deadline).
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

async function runCommand(exec: Exec, step: RunStep): Promise<Record<string, unknown>> {
  const start = Date.now();
  const res = await exec(step.script, { stdin: step.stdin, cwd: step.cwd });
  if (step.result) return step.result({ ...res, seconds: (Date.now() - start) / 1000 });
  if (res.rc !== 0) throw ModuleError.ofCommand(nameOf(step.script, step.what), res);
  return {};
}

/**
 * The script of an atomic write: temp file in the same directory, checksum verified, then rename.
 * A dropped connection or a killed run leaves the old file intact and no partial one.
 */
function writeScript(step: Omit<WriteStep, 'kind'>, backupName: string): string {
  const p = quotePath(step.path);
  const tempPrefix = `${step.path.replace(/\/[^/]*$/, '') || '/'}/.${step.path.split('/').pop()}.engine-`;
  return [
    'set -e',
    // A temp file a killed write left behind (its shell got no chance to clean up) goes first:
    // one run at a time per host (the run lock), so no other write of this path is under way.
    `rm -f -- ${quotePath(tempPrefix)}??????`,
    `t=$(mktemp ${quotePath(`${tempPrefix}XXXXXX`)})`,
    `trap 'rm -f "$t"' EXIT`,
    // A dropped connection shows up as SIGPIPE/SIGHUP; exit through the EXIT trap, never mv.
    `trap 'exit 1' HUP INT TERM PIPE`,
    `cat > "$t"`,
    `[ "$(sha256sum < "$t" | cut -c1-64)" = ${sha256(step.content)} ] || { echo 'upload incomplete, file left unchanged' >&2; exit 3; }`,
    `if [ -e ${p} ]; then chmod --reference=${p} "$t"; chown --reference=${p} "$t" 2>/dev/null || true; else chmod "$(printf '%o' $((0666 & ~$(umask))))" "$t"; fi`,
    step.mode ? `chmod ${quote(step.mode)} "$t"` : '',
    step.owner || step.group ? `chown ${quote(`${step.owner ?? ''}${step.group ? `:${step.group}` : ''}`)} "$t"` : '',
    step.backup ? `if [ -f ${p} ]; then cp -p ${p} ${quotePath(backupName)}; fi` : '',
    `mv -f "$t" ${p}`,
    'trap - EXIT',
  ]
    .filter(Boolean)
    .join('\n');
}

async function writeAtomic(exec: Exec, step: Omit<WriteStep, 'kind'>): Promise<Record<string, unknown>> {
  const backupName = `${step.path}.${new Date().toISOString().replace(/[:.]/g, '-')}~`;
  const res = await exec(writeScript(step, backupName), { stdin: step.content });
  if (res.rc !== 0) throw ModuleError.ofCommand(`writing ${step.path}`, res);
  return step.backup ? { backup_file: backupName } : {};
}

/** The new content is checked as a temporary copy next to the file; only then does it replace it. */
async function validated(exec: Exec, step: WriteStep): Promise<void> {
  const tmp = `${step.path}.validate.${process.pid}`;
  await writeAtomic(exec, { path: tmp, content: step.content, mode: '0600' });
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

/** Runs the steps in order; a step whose result says `failed` stops the rest. Returns the merged results. */
export async function runSteps(exec: Exec, steps: Step[], replan: Replan): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  for (const step of steps) {
    if (step.kind === 'run') Object.assign(result, await runCommand(exec, step));
    else if (step.kind === 'write') {
      if (step.validate) await validated(exec, step);
      Object.assign(result, await writeAtomic(exec, step));
    } else if (step.kind === 'call') Object.assign(result, (await step.fn()) ?? {});
    else Object.assign(result, await replanned(exec, step.args, step.result ?? {}, replan));
    if (result.failed) break;
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
