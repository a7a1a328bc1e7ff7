// Calls held across a cluster transition, to show that established calls outlive it. Two SIP user
// agents (sipp) on this machine register through the VIP; the caller sets up N calls to the
// called agent through the PBX, with RTP flowing from caller to a meter here. After the
// transition, the controller tells each call to go on (an INFO sent to the caller directly): it
// sends a re-INVITE and then a BYE inside its dialog through the VIP, which only a PBX that knows
// the call routes (the stand-in answers 481 for a call it does not know, as a B2BUA must).
import { setTimeout as sleep } from 'node:timers/promises';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../core/errors';
import { PROJECT_ROOT } from '../paths';
import { localAddressTowards } from './options';

const SCENARIOS = join(PROJECT_ROOT, 'engine/cluster/sip/scenarios');
/** One second of PCMU silence, looped by the caller's RTP stream. */
const SILENCE = Buffer.alloc(8000, 0xff);
/** The agents' registrations are needed only to set the calls up; they expire soon after. */
const REGISTRATION_SECONDS = 120;

export interface CallsOutcome {
  placed: number;
  /** Calls whose re-INVITE and BYE were both answered end to end, after the transition. */
  kept: number;
  reinvited: number;
  ended: number;
  /** Longest silence of any call's RTP stream from its start until it was resumed, in ms. */
  longestMediaGapMs: number;
  /** When the first call's re-INVITE was answered (epoch ms). */
  firstAnsweredAt?: number;
  /** Why calls were lost, as sipp reported it (first lines). */
  errors: string[];
}

interface Stream {
  last: number;
  longestGap: number;
}

/** RTP arrival times per stream (SSRC): the longest gap shows whether media stopped. */
class MediaMeter {
  readonly streams = new Map<number, Stream>();
  private constructor(readonly socket: Socket) {
    socket.on('message', (packet) => {
      if (packet.length < 12) return;
      const now = Date.now();
      const ssrc = packet.readUInt32BE(8);
      const stream = this.streams.get(ssrc);
      if (!stream) this.streams.set(ssrc, { last: now, longestGap: 0 });
      else {
        stream.longestGap = Math.max(stream.longestGap, now - stream.last);
        stream.last = now;
      }
    });
  }

  static open(address: string): Promise<MediaMeter> {
    const socket = createSocket('udp4');
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, address, () => resolve(new MediaMeter(socket.unref())));
    });
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** The longest gap of any stream, counting the silence from its last packet until now. */
  longestGap(): number {
    const now = Date.now();
    return Math.max(0, ...[...this.streams.values()].map((s) => Math.max(s.longestGap, now - s.last)));
  }
}

/** A UDP port free on `address` now (sipp binds it right after). */
function freePort(address: string): Promise<number> {
  const socket = createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

function requireSipp(): void {
  const probe = spawnSync('sipp', ['-v'], { encoding: 'utf8' });
  if (probe.error) throw new InputError('--calls needs sipp on this machine (Debian: apt install sip-tester)');
}

export class HeldCalls {
  private readonly agents: ChildProcess[] = [];
  /** The calling agent: it ends when every call has ended or failed. */
  private callerAgent?: ChildProcess;

  private constructor(
    private readonly dir: string,
    private readonly meter: MediaMeter,
    readonly callIds: string[],
    private readonly caller: { address: string; port: number },
  ) {}

  /**
   * Registers both agents through `host` and sets up `count` calls; resolves when every call is
   * answered and its media reaches the meter, fails (stopping the agents) otherwise.
   */
  static async place(host: string, port: number, count: number, limitMs: number, holdMs = limitMs): Promise<HeldCalls> {
    requireSipp();
    const address = await localAddressTowards(host, port);
    const dir = mkdtempSync(join(tmpdir(), 'held-calls-'));
    writeFileSync(join(dir, 'silence.pcmu'), SILENCE);
    const meter = await MediaMeter.open(address);
    const tag = randomBytes(4).toString('hex');
    const callIds = Array.from({ length: count }, (_, i) => `held-${i + 1}-${tag}@${address}`);
    const calls = new HeldCalls(dir, meter, callIds, { address, port: await freePort(address) });
    try {
      await calls.start(host, port, await freePort(address), tag, limitMs, holdMs);
      return calls;
    } catch (err) {
      calls.close();
      throw err;
    }
  }

  private sipp(args: string[], name: string): ChildProcess {
    const child = spawn('sipp', [...args, '-nostdin', '-trace_err', '-error_file', join(this.dir, `${name}.err`)], {
      cwd: this.dir,
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    // Held calls never keep the engine alive by themselves: their holder closes them (a run's
    // end at the latest), and the agents stop on their own after the hold (-timeout).
    child.unref();
    this.agents.push(child);
    return child;
  }

  private async register(host: string, port: number, user: string, localPort: number): Promise<void> {
    const child = this.sipp(
      [
        '-sf',
        join(SCENARIOS, 'register.xml'),
        '-s',
        user,
        '-m',
        '1',
        '-i',
        this.caller.address,
        '-p',
        String(localPort),
        '-key',
        'expires',
        String(REGISTRATION_SECONDS),
        '-timeout',
        '5',
        '-timeout_error',
        `${host}:${port}`,
      ],
      `register-${user}`,
    );
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (code !== 0) throw new Error(`${user} could not register through ${host}:${port}: ${this.errors(`register-${user}`).join('; ') || `sipp exit ${code}`}`);
  }

  private async start(host: string, port: number, calledPort: number, tag: string, limitMs: number, holdMs: number): Promise<void> {
    const count = String(this.callIds.length);
    // The agents stop by themselves after the longest hold (and a minute to end the calls).
    const bound = String(Math.ceil(holdMs / 1000) + 60);
    // Users of this run only: a contact another run registered (a port that is now someone
    // else's, perhaps this caller's) must not get a fork of these calls.
    await this.register(host, port, `called-${tag}`, calledPort);
    await this.register(host, port, `caller-${tag}`, this.caller.port);
    this.sipp(
      [
        '-sf',
        join(SCENARIOS, 'uas-call.xml'),
        '-i',
        this.caller.address,
        '-p',
        String(calledPort),
        '-key',
        'meter_port',
        String(this.meter.port),
        '-m',
        count,
        '-timeout',
        bound,
      ],
      'called',
    );
    await sleep(300);
    const caller = this.sipp(
      [
        '-sf',
        join(SCENARIOS, 'uac-call.xml'),
        '-s',
        `called-${tag}`,
        '-i',
        this.caller.address,
        '-p',
        String(this.caller.port),
        '-m',
        count,
        '-l',
        count,
        '-r',
        '20',
        '-cid_str',
        `held-%u-${tag}@${this.caller.address}`,
        '-timeout',
        bound,
        '-trace_logs',
        '-log_file',
        join(this.dir, 'calls.log'),
        `${host}:${port}`,
      ],
      'caller',
    );
    this.callerAgent = caller;
    const deadline = Date.now() + limitMs;
    while (this.logged('up').size < this.callIds.length || this.meter.streams.size < this.callIds.length) {
      if (caller.exitCode !== null || Date.now() > deadline)
        throw new Error(
          `${this.logged('up').size} of ${count} calls set up through ${host}:${port}, media on ${this.meter.streams.size}: ${this.errors('caller').join('; ') || 'no answer'}`,
        );
      await sleep(50);
    }
  }

  /** Call-IDs the caller's log has a line `<what> <call-id>` for. */
  private logged(what: string): Set<string> {
    const file = join(this.dir, 'calls.log');
    if (!existsSync(file)) return new Set();
    return new Set(
      readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith(`${what} `))
        .map((l) => l.slice(what.length + 1).trim()),
    );
  }

  private errors(name: string): string[] {
    const file = join(this.dir, `${name}.err`);
    if (!existsSync(file)) return [];
    const aborted = /Call-Id '([^']+)': while expecting '([^']+)' \(index \d+\), received '([^\r\n]+)/g;
    return [...readFileSync(file, 'utf8').matchAll(aborted)].map(([, id, expected, got]) => `${id}: ${got.trim()} (expected ${expected})`).slice(0, 5);
  }

  /** How many of these calls the PBX serving `apiUrl` knows as established. */
  async knownAt(apiUrl: string, token: string): Promise<number> {
    const known = new Set(await callsKnown(apiUrl, token));
    return this.callIds.filter((id) => known.has(id)).length;
  }

  /** The calling agent still holds calls (it ends when all have ended or failed). */
  get holding(): boolean {
    return this.callerAgent?.exitCode === null && this.callerAgent.signalCode === null;
  }

  /** Tells every call to go on, and waits (at most `limitMs`) until each ended or failed. */
  async resume(limitMs: number): Promise<CallsOutcome> {
    const longestMediaGapMs = this.meter.longestGap();
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, this.caller.address, resolve));
    for (const callId of this.callIds) socket.send(goSignal(callId, this.caller, socket.address().port), this.caller.port, this.caller.address);
    let firstAnsweredAt: number | undefined;
    const caller = this.callerAgent!;
    const deadline = Date.now() + limitMs;
    while (caller.exitCode === null && Date.now() < deadline) {
      if (!firstAnsweredAt && this.logged('reinvite').size) firstAnsweredAt = Date.now();
      await sleep(50);
    }
    socket.close();
    const reinvited = this.logged('reinvite');
    const ended = this.logged('bye');
    return {
      placed: this.callIds.length,
      kept: this.callIds.filter((id) => reinvited.has(id) && ended.has(id)).length,
      reinvited: reinvited.size,
      ended: ended.size,
      longestMediaGapMs,
      firstAnsweredAt: firstAnsweredAt ?? (reinvited.size ? Date.now() : undefined),
      errors: this.errors('caller'),
    };
  }

  /** Stops the agents still running and removes their files. */
  close(): void {
    for (const agent of this.agents) if (agent.exitCode === null && agent.signalCode === null) agent.kill('SIGTERM');
    this.meter.socket.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The controller's word to one held call: an INFO straight to the caller, outside the dialog. */
function goSignal(callId: string, caller: { address: string; port: number }, fromPort: number): string {
  const branch = `z9hG4bK${randomBytes(6).toString('hex')}`;
  return [
    `INFO sip:caller@${caller.address}:${caller.port} SIP/2.0`,
    `Via: SIP/2.0/UDP ${caller.address}:${fromPort};branch=${branch}`,
    `From: <sip:controller@${caller.address}>;tag=${branch.slice(7, 15)}`,
    `To: <sip:caller@${caller.address}>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 INFO',
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** The Call-IDs the PBX now serving `apiUrl` knows as established calls (dialog state 4). */
async function callsKnown(apiUrl: string, token: string): Promise<string[]> {
  const res = await fetch(`${apiUrl.replace(/\/$/, '')}/calls`, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`GET ${apiUrl}/calls: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { items: { call_id: string; state: number }[] };
  return body.items.filter((c) => c.state === 4).map((c) => c.call_id);
}
