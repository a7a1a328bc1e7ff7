// The ssh connection: one persistent node-ssh session per host, many commands over it.
import { existsSync, readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { NodeSSH } from 'node-ssh';
import type { Duplex } from 'node:stream';
import type { ClientChannel, ServerHostKeyAlgorithm } from 'ssh2';
import { InputError } from '../errors';
import { shlexSplit } from './shlex';
import { converse } from './converse';
import { hostKeyAlgorithms, knownHostsName, verifyHostKey } from './knownhosts';
import { type Connection, type ExecOptions, type ExecResult, type Held, UnreachableError } from './types';
import { wrapCommand } from './wrap';

/** How long releasing a held command waits for it to end on the host. */
const RELEASE_WAIT_MS = 2000;

export interface SshTarget {
  host: string;
  address: string;
  port: number;
  user: string;
  keyFiles: string[];
  password?: string;
  knownHostsFiles: string[];
  acceptNewHostKeys: boolean;
  proxyJump?: SshTarget;
  connectTimeoutMs: number;
  /** A host that answers nothing for interval x count is unreachable (OpenSSH's ServerAlive*). */
  aliveIntervalMs: number;
  aliveCountMax: number;
}

/**
 * Opens the TCP socket ourselves to set TCP_NODELAY: ssh2 leaves Nagle on, and with delayed ACKs
 * every command then waits ~40 ms; with it off a command over an open session takes ~4 ms.
 */
function openSocket(address: string, port: number, timeoutMs: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: address, port });
    socket.setNoDelay(true);
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`timed out after ${timeoutMs / 1000}s`)));
    socket.once('connect', () => {
      socket.setTimeout(0);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

function expandHome(path: string): string {
  return path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;
}

type SshConfigValues = Record<string, string | string[] | undefined>;

function sshConfigFor(name: string, configFile: string): SshConfigValues {
  if (!existsSync(configFile)) return {};
  // Lazy: ssh-config is only needed when a host is really contacted over ssh.
  const SSHConfig = require('ssh-config') as { parse(text: string): { compute(host: string): SshConfigValues } };
  return SSHConfig.parse(readFileSync(configFile, 'utf8')).compute(name);
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Reads the `-F file` and `-o Key=Value` options Ansible users put in ansible_ssh_common_args and
 * ansible_ssh_extra_args, so the same inventory works with both tools.
 */
function sshArgOptions(vars: Record<string, unknown>): { configFile?: string; options: Record<string, string> } {
  const words = shlexSplit(`${vars.ansible_ssh_common_args ?? ''} ${vars.ansible_ssh_extra_args ?? ''}`);
  const out: { configFile?: string; options: Record<string, string> } = { options: {} };
  for (let i = 0; i < words.length; i++) {
    if (words[i] === '-F') out.configFile = words[++i];
    else if (words[i].startsWith('-o')) {
      const option = words[i] === '-o' ? words[++i] : words[i].slice(2);
      const m = /^(\w+)\s*[= ]\s*(.*)$/.exec(option ?? '');
      if (m) out.options[m[1].toLowerCase()] = m[2];
    }
  }
  return out;
}

/**
 * Resolves where and how to connect the way Ansible's ssh plugin does: ssh config Host entries
 * are matched on ansible_host (or the inventory name); explicit ansible_* vars win over them.
 */
export function resolveSshTarget(
  host: string,
  vars: Record<string, unknown>,
  options: { acceptNewHostKeys: boolean; sshConfigFile?: string; knownHostsFile?: string },
): SshTarget {
  const alias = String(vars.ansible_host ?? host);
  const args = sshArgOptions(vars);
  const configFile = args.configFile ?? options.sshConfigFile ?? join(homedir(), '.ssh', 'config');
  const fromArgs: SshConfigValues = {
    Port: args.options.port,
    User: args.options.user,
    IdentityFile: args.options.identityfile,
    UserKnownHostsFile: args.options.userknownhostsfile,
    ProxyJump: args.options.proxyjump,
    ConnectTimeout: args.options.connecttimeout,
    ServerAliveInterval: args.options.serveraliveinterval,
    ServerAliveCountMax: args.options.serveralivecountmax,
  };
  const config = { ...sshConfigFor(alias, configFile), ...Object.fromEntries(Object.entries(fromArgs).filter(([, v]) => v !== undefined)) };
  const identity = config.IdentityFile;
  const keyVar = vars.ansible_ssh_private_key_file ?? vars.ansible_private_key_file;
  const keyFiles = keyVar ? [String(keyVar)] : Array.isArray(identity) ? identity : identity ? [identity] : [];
  const knownHosts = options.knownHostsFile ?? first(config.UserKnownHostsFile) ?? '~/.ssh/known_hosts';
  const jump = first(config.ProxyJump);
  const target: SshTarget = {
    host,
    address: first(config.HostName) ?? alias,
    port: Number(vars.ansible_port ?? first(config.Port) ?? 22),
    user: String(vars.ansible_user ?? vars.ansible_ssh_user ?? first(config.User) ?? userInfo().username),
    keyFiles: keyFiles.map(expandHome),
    password: (vars.ansible_password ?? vars.ansible_ssh_pass) as string | undefined,
    knownHostsFiles: knownHosts.split(/\s+/).map(expandHome),
    acceptNewHostKeys: options.acceptNewHostKeys || ['accept-new', 'no'].includes(args.options.stricthostkeychecking ?? ''),
    connectTimeoutMs:
      seconds(vars.ansible_timeout ?? first(config.ConnectTimeout) ?? 10, vars.ansible_timeout !== undefined ? 'ansible_timeout' : 'ConnectTimeout') * 1000,
    aliveIntervalMs: seconds(first(config.ServerAliveInterval) ?? 15, 'ServerAliveInterval') * 1000,
    aliveCountMax: seconds(first(config.ServerAliveCountMax) ?? 3, 'ServerAliveCountMax'),
  };
  if (jump && jump.toLowerCase() !== 'none') {
    const [userPart, hostPart] = jump.includes('@') ? jump.split('@') : [undefined, jump];
    const [jumpHost, jumpPort] = hostPart.split(':');
    const jumpVars: Record<string, unknown> = { ansible_host: jumpHost };
    if (jumpPort) jumpVars.ansible_port = jumpPort;
    if (userPart) jumpVars.ansible_user = userPart;
    // The jump host is looked up in the same ssh config file as the target.
    target.proxyJump = resolveSshTarget(`${host} (jump ${jumpHost})`, jumpVars, { ...options, sshConfigFile: configFile });
  }
  return target;
}

/** A positive number of seconds from a variable or ssh option, or an error naming it. */
function seconds(value: unknown, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InputError(`${name} must be a positive number of seconds, got '${String(value)}'`, undefined, name);
  return n;
}

export class SshConnection implements Connection {
  /** Why the connection is gone, once it is: every later command fails with it at once. */
  private lost?: string;
  /** Commands under way, each with a way to end it when the connection goes. */
  private readonly running = new Set<(why: string) => void>();
  /** The login shell is /bin/sh: commands need no second one (wrapCommand). */
  private loginShellIsSh = false;

  private constructor(
    readonly host: string,
    readonly user: string,
    private readonly ssh: NodeSSH,
    private readonly jump?: SshConnection,
  ) {
    // Permanent handlers: a reset, a keepalive timeout or a close at any moment, with or without
    // a command running, ends this host's work with the reason and never the process.
    const client = ssh.connection!;
    client.on('error', (err: Error) => this.drop(`ssh connection lost: ${err.message}`));
    client.on('close', () => this.drop('ssh connection closed'));
    client.on('end', () => this.drop('ssh connection closed by the host'));
  }

  private drop(why: string): void {
    this.lost ??= why;
    for (const end of this.running) end(this.lost);
    this.running.clear();
  }

  isOpen(): boolean {
    return this.lost === undefined;
  }

  /** What the host said its login shell is ($SHELL, which sshd sets from the user's entry). */
  setLoginShell(path: string): void {
    this.loginShellIsSh = path === '/bin/sh' || path === '/usr/bin/sh';
  }

  static async open(target: SshTarget): Promise<SshConnection> {
    const { NodeSSH } = await import('node-ssh');
    const jump = target.proxyJump ? await SshConnection.open(target.proxyJump) : undefined;
    const ssh = new NodeSSH();
    let refusal: string | undefined;
    const keyFile = target.keyFiles.find((f) => existsSync(f));
    try {
      const sock = jump ? await jump.forward(target.address, target.port) : await openSocket(target.address, target.port, target.connectTimeoutMs);
      await ssh.connect({
        host: target.address,
        port: target.port,
        username: target.user,
        privateKeyPath: keyFile,
        password: target.password,
        agent: process.env.SSH_AUTH_SOCK,
        sock,
        readyTimeout: target.connectTimeoutMs,
        keepaliveInterval: target.aliveIntervalMs,
        keepaliveCountMax: target.aliveCountMax,
        algorithms: { serverHostKey: hostKeyAlgorithms(target.knownHostsFiles, knownHostsName(target.address, target.port)) as ServerHostKeyAlgorithm[] },
        hostVerifier: (key: Buffer) => {
          const verdict = verifyHostKey(target.knownHostsFiles, knownHostsName(target.address, target.port), key, target.acceptNewHostKeys);
          if (!verdict.ok) refusal = verdict.reason;
          return verdict.ok;
        },
      });
    } catch (err) {
      ssh.dispose();
      await jump?.close();
      const why = refusal ?? (err as Error).message;
      throw new UnreachableError(target.host, `ssh ${target.user}@${target.address}:${target.port}: ${why}`);
    }
    // node-ssh adds an error listener per running command; many parallel commands are normal here.
    ssh.connection?.setMaxListeners(0);
    return new SshConnection(target.host, target.user, ssh, jump);
  }

  private forward(address: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      this.ssh.connection!.forwardOut('127.0.0.1', 0, address, port, (err: Error | undefined, stream: Duplex) => (err ? reject(err) : resolve(stream)));
    });
  }

  run(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const { script, handshake } = wrapCommand(command, this.user, options, this.loginShellIsSh);
    if (this.lost) return Promise.reject(new UnreachableError(this.host, this.lost));
    return new Promise<ExecResult>((resolve, reject) => {
      let channel: ClientChannel | undefined;
      const end = (why: string) => {
        channel?.destroy();
        reject(new UnreachableError(this.host, why));
      };
      this.running.add(end);
      const settle =
        <T>(fn: (v: T) => void) =>
        (v: T) => {
          this.running.delete(end);
          fn(v);
        };
      this.ssh.connection!.exec(script, (err, opened) => {
        if (err) return settle(end)(`ssh command failed: ${err.message}`);
        channel = opened;
        const exited = new Promise<{ code: number | null; signal: string | null }>((done) => {
          let status: { code: number | null; signal: string | null } | undefined;
          opened.on('exit', (code: number | null, signal?: string) => (status = { code, signal: signal ?? null }));
          // A channel closed with no exit status is a connection going away: its close event
          // follows shortly and ends the command as unreachable, not as a failed command.
          opened.on('close', () => (status ? done(status) : setTimeout(() => done({ code: null, signal: null }), 200)));
        });
        // A channel error (a reset during an upload) is this host's connection failing.
        opened.on('error', (e: Error) => settle(end)(`ssh channel failed: ${e.message}`));
        converse({ stdout: opened, stderr: opened.stderr, stdin: opened, exited }, options.stdin, handshake).then(settle(resolve), settle(reject));
      });
    });
  }

  /**
   * Starts a command that runs until released (the run lock): resolves once a line of its stdout
   * is `ready` (rc undefined: it runs on), or once it ended. It reads its stdin to the end:
   * `release` closes that stdin, and so does a dropped connection, so what it holds goes with the
   * connection without anything on the host polling for it.
   */
  hold(command: string, ready: string): Promise<Held> {
    if (this.lost) return Promise.reject(new UnreachableError(this.host, this.lost));
    return new Promise<Held>((resolve, reject) => {
      this.ssh.connection!.exec(wrapCommand(command, this.user).script, (err, channel) => {
        if (err) return reject(new UnreachableError(this.host, `ssh command failed: ${err.message}`));
        let stdout = '';
        let stderr = '';
        let rc: number | undefined;
        const closed = new Promise<void>((done) => channel.on('close', done));
        const release = async () => {
          channel.end();
          // Ended on the host, its lock let go, before the connection closes (bounded: a host that hangs).
          await Promise.race([closed, new Promise((r) => setTimeout(r, RELEASE_WAIT_MS).unref())]);
        };
        channel.on('data', (d: Buffer) => {
          stdout += d.toString('utf8');
          if (stdout.split('\n').includes(ready)) resolve({ stdout, stderr, release });
        });
        channel.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
        channel.on('exit', (code: number | null) => (rc = code ?? 255));
        channel.on('error', (e: Error) => reject(new UnreachableError(this.host, `ssh channel failed: ${e.message}`)));
        void closed.then(() => resolve({ stdout, stderr, rc: rc ?? 255, release: async () => undefined }));
      });
    });
  }

  async close(): Promise<void> {
    this.ssh.dispose();
    await this.jump?.close();
  }
}
