// sip_calls: test calls held through a cluster change, from the controller (the rolling upgrade's
// proof that established calls outlive it). `place`: two SIP agents here register through the VIP
// and set up `count` calls between them, with media (HeldCalls). `check`: the calls are still up,
// and every one is known to the PBX now serving the VIP (its calls API, where the site has one).
// `end`: each call goes on (a re-INVITE, then a BYE, through the VIP); the task reports
// `calls kept K/N` and fails unless every call was kept. The calls live in this engine process:
// they end with it, whatever stops the run.
import { type Module, ModuleError, type Outcome, type Step } from '../../core/modules/types';
import { type CallsOutcome, HeldCalls } from '../sip/calls';

type Action = 'place' | 'check' | 'end';

interface CallsArgs {
  action: Action;
  name?: string;
  host?: string;
  port?: number;
  count?: number;
  /** Longest time the calls are held, in seconds (the agents stop by themselves after it). */
  hold?: number;
  api_url?: string;
  api_token?: string;
  timeout?: number;
}

interface Held {
  calls: HeldCalls;
  target: string;
}

/** What the probe finds: the calls held under the name, and (check) how many the PBX knows. */
interface Found {
  held?: { count: number; target: string; holding: boolean };
  known?: number;
}

const held = new Map<string, Held>();
process.once('exit', () => {
  for (const { calls } of held.values()) calls.close();
});

const nameOf = (args: CallsArgs) => args.name ?? 'calls';

const targetOf = (args: CallsArgs) => `${args.host}:${args.port ?? 5060}`;

/** A check or end with no calls held: nothing to do in a dry run (it placed none), a failure otherwise. */
function notHeld(args: CallsArgs, dryRun: boolean): Outcome {
  return dryRun
    ? { changed: false, msg: 'no test calls held in a dry run' }
    : { changed: false, failed: true, msg: `no test calls '${nameOf(args)}' are held` };
}

function placeStep(args: CallsArgs): Step {
  const target = targetOf(args);
  return {
    kind: 'call',
    what: `placing ${args.count} test calls through ${target}`,
    async fn() {
      const calls = await HeldCalls.place(args.host!, args.port ?? 5060, args.count!, (args.timeout ?? 60) * 1000, (args.hold ?? 600) * 1000);
      held.set(nameOf(args), { calls, target });
      return { placed: args.count };
    },
  };
}

function kept(outcome: Omit<CallsOutcome, 'firstAnsweredAt'>): string {
  const lost = outcome.errors.length ? `; lost: ${outcome.errors.join('; ')}` : '';
  return `re-INVITE answered on ${outcome.reinvited}, BYE on ${outcome.ended}, longest media gap ${outcome.longestMediaGapMs} ms${lost}; calls kept ${outcome.kept}/${outcome.placed}`;
}

function endStep(args: CallsArgs): Step {
  return {
    kind: 'call',
    what: `ending the test calls '${nameOf(args)}'`,
    async fn() {
      const calls = held.get(nameOf(args))?.calls;
      if (!calls) throw new ModuleError(`no test calls '${nameOf(args)}' are held`);
      try {
        const { firstAnsweredAt: _, ...outcome } = await calls.resume((args.timeout ?? 60) * 1000);
        // The line goes to the result too: a result shown without -v leaves msg out.
        const summary = kept(outcome);
        return { msg: summary, summary, calls: outcome, failed: outcome.kept < outcome.placed };
      } finally {
        calls.close();
        held.delete(nameOf(args));
      }
    },
  };
}

function planPlace(args: CallsArgs, found: Found): Outcome {
  if (!args.host || !args.count) return { changed: false, failed: true, msg: 'action place needs host and count' };
  if (found.held) return { changed: false, failed: true, msg: `test calls '${nameOf(args)}' are held already (through ${found.held.target}): end them first` };
  return {
    changed: false,
    msg: `${args.count} test calls through ${targetOf(args)}, held up to ${args.hold ?? 600} s`,
    steps: [placeStep(args)],
  };
}

function planCheck(args: CallsArgs, found: Found, dryRun: boolean): Outcome {
  const h = found.held;
  if (!h) return notHeld(args, dryRun);
  if (!h.holding) return { changed: false, failed: true, msg: `the ${h.count} test calls '${nameOf(args)}' ended: the calling agent lost them` };
  if (found.known === undefined)
    return { changed: false, msg: `${h.count} test calls up (the PBX's calls API was not given: not asked)`, result: { held: h.count } };
  const result = { held: h.count, known: found.known };
  if (found.known < h.count) return { changed: false, failed: true, msg: `the PBX on ${h.target} knows ${found.known} of the ${h.count} test calls`, result };
  return { changed: false, msg: `${h.count} test calls up, all known to the PBX on ${h.target}`, result };
}

function planEnd(args: CallsArgs, found: Found, dryRun: boolean): Outcome {
  if (!found.held) return notHeld(args, dryRun);
  return { changed: false, msg: `${found.held.count} test calls go on: re-INVITE and BYE through ${found.held.target}`, steps: [endStep(args)] };
}

export const sip_calls: Module<CallsArgs, Found> = {
  name: 'sip_calls',
  controllerOnly: true,
  // What became of the calls is the point of the task: shown without -v.
  showsResult: true,
  schema: {
    type: 'object',
    description:
      'Test calls from the controller held through a cluster change: place them (two SIP agents register through host and call each other, with media), check they are up and known to the PBX, end them (re-INVITE and BYE through host; fails unless every call was kept). Needs sipp.',
    properties: {
      action: { enum: ['place', 'check', 'end'], description: 'place, check or end the calls.' },
      name: { type: 'string', description: "Names the calls held (default 'calls')." },
      host: { type: 'string', description: 'Where the agents register and call (the VIP); place only.' },
      port: { type: 'integer', minimum: 1, maximum: 65535, description: 'SIP port (default 5060); place only.' },
      count: { type: 'integer', minimum: 1, maximum: 200, description: 'How many calls; place only.' },
      hold: { type: 'integer', minimum: 10, maximum: 600, description: 'Longest hold in seconds (default 600): the agents stop after it.' },
      api_url: { type: 'string', description: "The PBX's management API on the VIP, for check (its GET /calls)." },
      api_token: { type: 'string', description: 'Bearer token of that API.' },
      timeout: { type: 'integer', minimum: 1, description: 'Seconds to set the calls up (place) or to end them (end); default 60.' },
    },
    required: ['action'],
    additionalProperties: false,
  },
  async probe(args) {
    const h = held.get(nameOf(args));
    if (!h) return {};
    const found: Found = { held: { count: h.calls.callIds.length, target: h.target, holding: h.calls.holding } };
    if (args.action === 'check' && h.calls.holding && args.api_url && args.api_token) found.known = await h.calls.knownAt(args.api_url, args.api_token);
    return found;
  },
  plan(args, found, ctx) {
    if (args.action === 'place') return planPlace(args, found);
    if (args.action === 'check') return planCheck(args, found, ctx.check);
    return planEnd(args, found, ctx.check);
  },
};
