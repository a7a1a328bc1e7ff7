// What the runner knows about each host during a run, and the options of the run.
import type { Connection, ExecResult } from '../connection/types';
import type { Inventory } from '../load/inventory';
import type { Templar } from '../load/template/templar';
import type { Play, Task, Vars } from '../load/types';
import type { Change, Reporter, Stats } from '../output/events';

export interface HostState {
  name: string;
  /** Gathered facts (ansible_facts). */
  facts: Vars;
  /** set_fact, include_vars and registered results: they outlive the play. */
  hostFacts: Vars;
  /** Names in hostFacts that hold final values (register, set_fact), never templated again. */
  dataNames: Set<string>;
  failed: boolean;
  unreachable: boolean;
  /** Stopped by meta: end_host. */
  ended: boolean;
  /** Inside a block with rescue: failures wait for the rescue instead of counting. */
  rescueDepth: number;
  pendingFailure: boolean;
  /** The task that failed inside a block with a rescue, and its result (ansible_failed_task/result). */
  lastFailure?: { task: Vars; result: Record<string, unknown> };
  notified: Set<string>;
  stats: Stats;
  /** Tasks that changed the host, in order (in check mode: would have). */
  changes: Change[];
  /** Answers to the probes of tasks ahead, fetched with an earlier task's (lookahead.ts). */
  prefetched: Map<Task, Prefetched>;
  /** How many tasks ahead the next probe fetches for. */
  lookahead: number;
}

/** An answer to a task's probe fetched ahead with an earlier task's (lookahead.ts), valid while no step has run since. */
interface Prefetched {
  script: string;
  cwd?: string;
  res: ExecResult;
  epoch: number;
}

export interface RunOptions {
  check: boolean;
  /** Defaults from ansible.cfg / ANSIBLE_*: the login user, become and its user, below every play, task and host setting. */
  remoteUser?: string;
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: string;
  /** --start-at-task: the run starts at the first task of this name (or `role : name`, or glob). */
  startAtTask?: string;
  diff: boolean;
  limit?: string;
  tags: string[];
  skipTags: string[];
  role?: string;
  extraVars: Vars;
  forks?: number;
  verbosity: number;
  acceptNewHostKeys: boolean;
  /** --yes: confirmations the roles ask for are given. */
  confirmed: boolean;
  becomePassword?: string;
  sshConfigFile?: string;
  knownHostsFile?: string;
}

export interface RunContext {
  options: RunOptions;
  inventory: Inventory;
  templar: Templar;
  reporter: Reporter;
  hosts: Map<string, HostState>;
  connections: Map<string, Promise<Connection>>;
  playbookDir: string;
  /** Who holds the hosts' run locks, as a second run is told. */
  lockOwner: string;
  /** Set by SIGINT: no new task starts. */
  interrupted: boolean;
  /**
   * Set by any_errors_fatal or max_fail_percentage: as in Ansible, the rest of the playbook does
   * not run (later batches and plays would act on a half-done change).
   */
  stopped: boolean;
  /** Counts the tasks that changed (or failed on) any host: answers fetched before one are stale. */
  changeEpoch: number;
  /** --start-at-task not reached yet: plays before the one holding that task run nothing. */
  startAtPending: boolean;
}

export interface PlayRun {
  run: RunContext;
  play: Play;
  /** Variables of vars_files, loaded once per play. */
  varsFiles: Vars;
  playHosts: string[];
  batch: string[];
  /** The hosts this runner drives: the batch under strategy linear, one host of it under free. */
  lane: string[];
  aborted: boolean;
  /** The tasks after the running one in its list: what probes may fetch ahead for. */
  upcoming: Task[];
}

export function newHost(name: string): HostState {
  return {
    name,
    facts: {},
    hostFacts: {},
    dataNames: new Set(),
    failed: false,
    unreachable: false,
    ended: false,
    rescueDepth: 0,
    pendingFailure: false,
    notified: new Set(),
    stats: { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0, warnings: 0 },
    changes: [],
    prefetched: new Map(),
    lookahead: 8,
  };
}

export function isActive(host: HostState): boolean {
  return !host.failed && !host.unreachable && !host.ended;
}

/**
 * A dry run that has already met a change it did not make: from here on what a task waits for
 * may be exactly what that change would have made, so waits are predicted instead of polled.
 */
export function predicting(run: RunContext): boolean {
  return run.options.check && [...run.hosts.values()].some((h) => h.changes.length > 0);
}
