// The `local` connection: commands run on this machine, through the same wrapper as ssh.
import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import { converse } from './converse';
import type { Connection, ExecOptions, ExecResult } from './types';
import { wrapCommand } from './wrap';

export class LocalConnection implements Connection {
  readonly user = userInfo().username;
  constructor(readonly host: string) {}

  run(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const { script, handshake } = wrapCommand(command, this.user, options);
    const child = spawn('/bin/sh', ['-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal }));
    });
    return converse({ stdout: child.stdout, stderr: child.stderr, stdin: child.stdin, exited }, options.stdin, handshake);
  }

  isOpen(): boolean {
    return true;
  }

  async close(): Promise<void> {}
}
