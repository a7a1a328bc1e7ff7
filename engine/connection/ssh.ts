// The ssh connection: one persistent node-ssh session per host, many commands over it.
import { existsSync, readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { NodeSSH } from 'node-ssh';
import { Readable } from 'node:stream';
import { shlexSplit } from '../modules/util/shlex';
import { knownHostsName, verifyHostKey } from './knownhosts';
import { type Connection, type ExecOptions, type ExecResult, UnreachableError } from './types';
import { wrapCommand } from './wrap';

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
}

/**
 * Opens the TCP socket ourselves to set TCP_NODELAY: ssh2 leaves Nagle on, and with delayed ACKs
 * every command then waits ~40 ms; with it off a command over an open session takes ~4 ms.
 */
function openSocket(address: string, port: number, timeoutMs: number): Promise<NodeJS.ReadWriteStream> {
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
export function sshArgOptions(vars: Record<string, unknown>): { configFile?: string; options: Record<string, string> } {
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
    connectTimeoutMs: Number(vars.ansible_timeout ?? first(config.ConnectTimeout) ?? 10) * 1000,
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

export class SshConnection implements Connection {
  private constructor(
    readonly host: string,
    readonly user: string,
    private readonly ssh: NodeSSH,
    private readonly jump?: SshConnection,
  ) {}

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
        keepaliveInterval: 15000,
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

  private forward(address: string, port: number): Promise<NodeJS.ReadWriteStream> {
    return new Promise((resolve, reject) => {
      this.ssh.connection!.forwardOut('127.0.0.1', 0, address, port, (err: Error | undefined, stream: NodeJS.ReadWriteStream) => (err ? reject(err) : resolve(stream)));
    });
  }

  async run(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const { script, stdin } = wrapCommand(command, this.user, options);
    if (!this.ssh.isConnected()) throw new UnreachableError(this.host, 'ssh connection lost');
    try {
      const res = await this.ssh.execCommand(script, {
        noTrim: true,
        stdin: stdin === undefined ? undefined : Readable.from([Buffer.from(stdin)]),
      });
      return { rc: res.code ?? (res.signal ? 128 : 255), stdout: res.stdout, stderr: res.stderr };
    } catch (err) {
      throw new UnreachableError(this.host, `ssh command failed: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    this.ssh.dispose();
    await this.jump?.close();
  }
}
