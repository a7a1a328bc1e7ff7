// What every transport offers the modules: run a shell command line, with stdin, env and become.

/** The ways the engine becomes another user (Ansible's become plugins of those names). */
export const BECOME_METHODS = ['sudo', 'su'];

export interface Become {
  user: string;
  password?: string;
  /** Default sudo. */
  method?: 'sudo' | 'su';
}

export interface ExecOptions {
  stdin?: string | Buffer;
  env?: Record<string, string>;
  cwd?: string;
  become?: Become;
  /** Seconds the command may run; it is then ended on the host (TERM, later KILL). */
  timeoutSec?: number;
}

export interface ExecResult {
  rc: number;
  stdout: string;
  stderr: string;
}

/** A command kept running (SshConnection.hold): its output so far, its exit status once it ended. */
export interface Held {
  stdout: string;
  stderr: string;
  /** Undefined while it runs. */
  rc?: number;
  /** Closes its stdin, which ends it; resolves once it ended (or after a short wait). */
  release(): Promise<void>;
}

export interface Connection {
  /** Inventory name of the host this connection reaches. */
  readonly host: string;
  /** The login user, so become can be skipped when it would be a no-op. */
  readonly user: string;
  /** Runs a POSIX sh command line built with quote(); never throws for a non-zero exit. */
  run(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** False once the transport is gone (dropped, reset, hung): the next task connects again. */
  isOpen(): boolean;
  close(): Promise<void>;
}

/** Raised when a host cannot be reached at all; the runner reports it as UNREACHABLE. */
export class UnreachableError extends Error {
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(message);
    this.name = 'UnreachableError';
  }
}
