// The `local` connection: commands run on this machine, through the same wrapper as ssh.
import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import type { Connection, ExecOptions, ExecResult } from './types';
import { wrapCommand } from './wrap';

export class LocalConnection implements Connection {
  readonly user = userInfo().username;
  constructor(readonly host: string) {}

  run(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const { script, stdin } = wrapCommand(command, this.user, options);
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('error', reject);
      child.on('close', (code, signal) =>
        resolve({ rc: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
      );
      child.stdin.on('error', () => undefined); // the command may exit without reading stdin
      child.stdin.end(stdin ?? '');
    });
  }

  async close(): Promise<void> {}
}
