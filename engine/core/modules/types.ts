// The contract every module follows, as data: an argument schema; a probe that is a script for the
// host plus a pure parser of what it prints (a Query); a pure plan from the arguments and what was
// found, giving the change, its diff and the steps that make it (commands, atomic writes). The
// runner runs the queries and, outside check mode, the steps: a dry run is the same path minus the
// steps, and every plan can be tested on a fixture state without a host.
import type { ExecResult } from '../connection/types';

export interface ArgSchema {
  type: 'object';
  description: string;
  properties: Record<string, Record<string, unknown>>;
  required?: string[];
  additionalProperties?: boolean;
  [keyword: string]: unknown;
}

export interface Diff {
  before: string;
  after: string;
  beforeHeader?: string;
  afterHeader?: string;
  /** The diff as the module's Ansible counterpart registers it, when that is not text (file's mappings). */
  data?: { before: Record<string, unknown>; after: Record<string, unknown> };
}

/** What a probe may know of the run besides its arguments. */
export interface ProbeContext {
  host: string;
  check: boolean;
  /**
   * A dry run after a change it did not make: a module that waits checks once, and when what it
   * waits for is not there, returns `predicted` instead of polling for it (or failing).
   */
  predict: boolean;
  /** The host's ansible_python_interpreter, for modules that run Python there. */
  interpreter?: string;
  /** What the module's `prepare` returned. */
  prepared?: unknown;
  /** Finds a local file in the role's, then the playbook's files/, templates/ or vars/ directory. */
  findLocal(kind: 'files' | 'templates' | 'vars', name: string): string;
  /** A controller path as Ansible reads one a task names: `~` expanded, a relative one from the playbook's directory. */
  localPath(path: string): string;
}

/** Jinja2 environment options a template task may set (Ansible's template module arguments). */
export interface TemplateOptions {
  trimBlocks?: boolean;
  lstripBlocks?: boolean;
  tags?: { blockStart?: string; blockEnd?: string; variableStart?: string; variableEnd?: string; commentStart?: string; commentEnd?: string };
}

/** What a plan may read besides the arguments and the state found: the task's variables and files. */
export interface PlanContext extends ProbeContext {
  vars: Record<string, unknown>;
  /** Renders a Jinja2 template text (from `file`, for error messages and includes) with the task's variables. */
  renderText(template: string, file?: string, extra?: Record<string, unknown>, options?: TemplateOptions): string;
  /** Evaluates a Jinja2 condition (assert's `that`). */
  evaluate(expression: string): boolean;
  /** Evaluates a Jinja2 expression to its native value (debug's `var`). */
  expression(expression: string): unknown;
  /** Reads a YAML (or vault-encrypted) file on the controller, as vars files are read. */
  readYaml(path: string): unknown;
  /** The run's inventory as it is now (add_host and group_by tell from it whether they change it). */
  inventory: {
    host(name: string): { groups: string[]; vars: Record<string, unknown> } | undefined;
    group(name: string): { hosts: string[]; parents: string[] } | undefined;
  };
}

/**
 * A read-only look at the host: one script, and a pure parser of its output. The parser may ask
 * for a further look that depends on what it read (crm_verify of a CIB built from the live one).
 */
export class Query<Found> {
  constructor(
    readonly script: string,
    readonly parse: (res: ExecResult) => Found | Query<Found>,
    readonly options: {
      stdin?: string | Buffer;
      cwd?: string;
      /** Names the look in errors (default: the script's first line). */
      what?: string;
      /** The parser reads the exit status itself; otherwise a non-zero exit fails the task. */
      anyStatus?: boolean;
      /** A wait: it runs when its task runs, never fetched ahead with an earlier task's probe. */
      live?: boolean;
    } = {},
  ) {}

  /** The same look, its result turned into another (pure) value. */
  map<T>(fn: (found: Found) => T): Query<T> {
    return new Query<T>(
      this.script,
      (res) => {
        const found = this.parse(res);
        return found instanceof Query ? found.map(fn) : fn(found);
      },
      this.options,
    );
  }
}

/** A command run on the host. Without `result`, a non-zero exit fails the task with its stderr. */
export interface RunStep {
  kind: 'run';
  script: string;
  stdin?: string | Buffer;
  cwd?: string;
  /** Names the step in errors and in the step list (default: the script's first line). */
  what?: string;
  /** Reads the command's outcome (exit status included) into the task's result; `failed` stops the steps. */
  result?(res: ExecResult & { seconds: number }): Record<string, unknown>;
}

/** A file written atomically (temp file, checksum verified, rename), after an optional validate command. */
export interface WriteStep {
  kind: 'write';
  path: string;
  content: Buffer;
  mode?: string;
  owner?: string;
  group?: string;
  /** Keep a timestamped copy of the old file (its name goes to the result as backup_file). */
  backup?: boolean;
  /** The result's name for that copy, when the module's is not backup_file (lineinfile: backup). */
  backupKey?: string;
  /** A command run on a temporary copy first, %s its path (Ansible's validate). */
  validate?: string;
  /** Make the file's missing parent directories first (lineinfile/blockinfile with create). */
  makeParents?: boolean;
  /** The result gets the written file's owner, group, uid, gid and mode (copy, template). */
  reportStat?: boolean;
}

/** Work done from the controller (an API call): the one step that is code, not data. */
export interface CallStep {
  kind: 'call';
  what: string;
  // biome-ignore lint/suspicious/noConfusingVoidType: most calls only act and return nothing.
  fn(): Promise<Record<string, unknown> | void>;
}

/**
 * Probe and plan again with `args`, and run that plan's steps: for a change that must be judged
 * on what an earlier step made (apt decides what to install on the refreshed package cache).
 */
interface ReplanStep {
  kind: 'replan';
  args: unknown;
  /** Fields the result gets besides the new plan's (apt: cache_updated). */
  result?: Record<string, unknown>;
}

export type Step = RunStep | WriteStep | CallStep | ReplanStep;

/** What add_host and group_by do to the run's inventory. */
export type InventoryChange =
  | { kind: 'host'; name: string; groups: string[]; vars: Record<string, unknown> }
  | { kind: 'group'; host: string; group: string; parents: string[] };

export interface Outcome {
  changed: boolean;
  /** Why: what would change, or why nothing needs to. */
  msg: string;
  failed?: boolean;
  /** A wait not polled in a dry run (see ModuleContext.predict): msg says what it would wait for. */
  predicted?: boolean;
  diff?: Diff[];
  /** Values returned to `register`. */
  result?: Record<string, unknown>;
  /** Host facts to set (set_fact, include_vars). */
  facts?: Record<string, unknown>;
  /** A change of the run's inventory (add_host, group_by): made at once, in check mode too, as Ansible's. */
  inventory?: InventoryChange;
  /** What makes the change, in order. Absent when nothing is to be done; never run in check mode. */
  steps?: Step[];
}

export interface Module<Args = any, Found = any> {
  name: string;
  schema: ArgSchema;
  /** How a string value (`copy: src=a dest=b`, `command: ls -l`) is read. */
  freeForm?: 'cmd' | 'kv';
  /** With freeForm 'kv': the argument a single bare word stands for (include_vars: file.yml). */
  bareWordArg?: string;
  /** Other names accepted for arguments, e.g. { dest: 'path' }. */
  argAliases?: Record<string, string>;
  /** Its result is shown even without -v (debug). */
  showsResult?: boolean;
  /** True for modules that run on the controller only and need no connection. */
  controllerOnly?: boolean;
  /**
   * Variables of the task's own `vars:` read as arguments the schema does not take, each
   * variable's name to the argument's: Ansible ignores a variable it does not use, so a task
   * that gives the engine more this way still runs under ansible-playbook (command's and
   * shell's `engine_probe`).
   */
  taskVars?: Record<string, string>;
  /** Runs once for the play's hosts, as run_once (Ansible's BYPASS_HOST_LOOP: add_host). */
  runsOnce?: boolean;
  /** With freeForm 'kv': words that are no key=value go to `_raw_params`, for the module to judge when it runs (add_host, group_by). */
  rawParams?: boolean;
  /**
   * Controller-side work the probe needs first (an Ansible module packed by ansible-core): what it
   * returns is the probe's `ctx.prepared`. Such a probe runs when its task runs, never fetched ahead.
   */
  prepare?(args: Args, ctx: ProbeContext): Promise<unknown>;
  /**
   * Reads the current state, in check mode too: a Query for the host, or (controller-only
   * modules: an API, a SIP probe, a pause) the state itself.
   */
  probe?(args: Args, ctx: ProbeContext): Query<Found> | Promise<Found>;
  /** Decides from args and what was found: pure. */
  plan(args: Args, found: Found, ctx: PlanContext): Outcome;
}

/** Raised by a module for a failure the user caused (bad path, package missing, ...). */
export class ModuleError extends Error {
  constructor(
    message: string,
    readonly result: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** A command that exited non-zero, named by `what`, with what it printed. */
  static ofCommand(what: string, res: ExecResult): ModuleError {
    return new ModuleError(`${what}: failed (rc=${res.rc}): ${(res.stderr || res.stdout).trim()}`, { rc: res.rc, stderr: res.stderr, stdout: res.stdout });
  }
}
