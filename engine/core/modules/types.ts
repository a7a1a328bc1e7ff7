// The contract every module follows: an argument schema, a read-only probe of what is there now,
// and a plan that says what would change (with a diff) and how to apply it. The runner calls
// apply only outside check mode, so a dry run is the same code path minus the write.
import type { Connection, Become } from '../connection/types';

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
}

export interface ModuleContext {
  conn: Connection;
  host: string;
  check: boolean;
  /**
   * A dry run after a change it did not make: a module that waits checks once, and when what it
   * waits for is not there, returns `predicted` instead of polling for it (or failing).
   */
  predict: boolean;
  vars: Record<string, unknown>;
  become?: Become;
  env?: Record<string, string>;
  /** Renders a Jinja2 template text (from `file`, for error messages and includes) with the task's variables. */
  renderText(template: string, file?: string): string;
  /** Evaluates a Jinja2 condition (assert's `that`). */
  evaluate(expression: string): boolean;
  /** Evaluates a Jinja2 expression to its native value (debug's `var`). */
  expression(expression: string): unknown;
  /** Finds a local file in the role's, then the playbook's files/, templates/ or vars/ directory. */
  findLocal(kind: 'files' | 'templates' | 'vars', name: string): string;
  /** Reads a YAML (or vault-encrypted) file on the controller, as vars files are read. */
  readYaml(path: string): unknown;
}

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
  /** Does the change. Absent when nothing is to be done; never called in check mode. */
  // biome-ignore lint/suspicious/noConfusingVoidType: most applies only act and return nothing.
  apply?: () => Promise<Record<string, unknown> | void>;
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
  /** Reads the current state. Read-only: it runs in check mode too. */
  probe?(args: Args, ctx: ModuleContext): Promise<Found>;
  /** Decides from args and what was found; pure except for the apply closure it returns. */
  plan(args: Args, found: Found, ctx: ModuleContext): Outcome | Promise<Outcome>;
}

/** Raised by a module for a failure the user caused (bad path, package missing, ...). */
export class ModuleError extends Error {
  constructor(
    message: string,
    readonly result: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
