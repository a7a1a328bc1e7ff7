// Everything the runner tells the outside world, as one union on `kind`. Renderers (tty via
// listr2, plain text for CI logs, JSON lines) only format these; the runner schedules the hosts.
import type { Diff } from '../modules/types';

/** `warning`: a finding the site may waive (preflight's resources check), shown and counted as such. */
export type HostStatus = 'ok' | 'changed' | 'warning' | 'failed' | 'skipped' | 'unreachable' | 'ignored' | 'rescued';

/** A host's counts, as Ansible's recap prints them. */
export interface Stats {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
  warnings: number;
}

/** A task that changed a host (or, in check mode, would have): what a dry run's recap lists. */
export interface Change {
  role?: string;
  task: string;
}

export type Event =
  | { kind: 'playbook_start'; file: string; check: boolean }
  | { kind: 'play_start'; name: string; hosts: string[] }
  | { kind: 'task_start'; name: string; role?: string; hosts: string[]; handler?: boolean }
  | { kind: 'host_start'; task: string; host: string }
  | {
      kind: 'host_result';
      task: string;
      host: string;
      status: HostStatus;
      msg?: string;
      item?: string;
      delegatedTo?: string;
      diff?: Diff[];
      /** Full result, only at -v and never for no_log tasks. */
      result?: Record<string, unknown>;
    }
  | { kind: 'task_end'; name: string }
  | { kind: 'warning'; msg: string }
  | { kind: 'recap'; stats: Record<string, Stats>; elapsed: number; check: boolean; changes: Record<string, Change[]> };

/**
 * Shows the events; the runner awaits what emit returns (a live view finishing a task's line)
 * before it goes on.
 */
export interface Reporter {
  emit(event: Event): void | Promise<void>;
  close(): Promise<void>;
}

/** The text of a no_log result, wherever a result would be shown. */
export const CENSORED = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";
