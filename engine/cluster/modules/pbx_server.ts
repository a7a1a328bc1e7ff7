// pbx_server: one entry of the PBX's server registry (PortSIP's Servers > Media / Queue / Meeting /
// IVR), through its REST API from the controller: an extended server registered by name, or the
// PBX's built-in server of a kind switched on or off. `enabled: auto` turns the built-in server
// off while an extended server of its kind is registered, and refuses to do so until one of them
// reports ONLINE, so the PBX is never left without a server of a kind.
import type { CallStep, Diff, Module, Outcome } from '../../core/modules/types';
import { ModuleError } from '../../core/modules/types';

const COLLECTIONS = { media: 'media_servers', queue: 'call_queue_servers', meeting: 'conference_servers', ivr: 'ivr_servers' } as const;
type Kind = keyof typeof COLLECTIONS;

/** What the API lists per server (PortSIP's field names). */
interface RegisteredServer {
  id: number;
  name: string;
  type: 'DEFAULT' | 'EXTENDED';
  ipv4: string;
  public_ipv4?: string;
  max_concurrent_sessions?: number | null;
  enabled: boolean;
  status: 'ONLINE' | 'OFFLINE' | 'DISABLED';
}

interface ServerArgs {
  api_url: string;
  api_token: string;
  kind: Kind;
  name?: string;
  builtin?: boolean;
  ipv4?: string;
  public_ipv4?: string;
  max_concurrent_sessions?: number;
  enabled?: boolean | 'auto';
  /** Extended servers about to stop or leave: `auto` does not count on them. */
  ignore?: string[];
  /** Extended servers this run registers and starts: check mode counts them as ONLINE. */
  joining?: string[];
  state?: 'present' | 'absent';
  wait_online?: number;
}

interface Found {
  servers: RegisteredServer[];
  /** For a built-in server under `auto`: the extended servers it would leave the work to. */
  serving: RegisteredServer[];
}

/** The fields of an extended server this module declares, in the API's shape. */
const DECLARED = ['ipv4', 'public_ipv4', 'max_concurrent_sessions', 'enabled'] as const;

async function call(args: ServerArgs, method: string, path: string, body?: unknown): Promise<unknown> {
  const url = `${args.api_url.replace(/\/$/, '')}/${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { Authorization: `Bearer ${args.api_token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new ModuleError(`PBX API ${method} ${url}: ${(err as Error).cause ?? (err as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) throw new ModuleError(`PBX API ${method} ${url}: ${res.status} ${res.statusText} ${text.trim()}`);
  return text.trim() ? JSON.parse(text) : undefined;
}

async function list(args: ServerArgs): Promise<RegisteredServer[]> {
  const answer = (await call(args, 'GET', COLLECTIONS[args.kind])) as { items?: RegisteredServer[] };
  if (!Array.isArray(answer?.items)) throw new ModuleError(`PBX API GET ${COLLECTIONS[args.kind]}: no item list in the answer`);
  return answer.items;
}

/** Extended servers of the kind a built-in server could leave its work to (registered, enabled, staying). */
function staying(servers: RegisteredServer[], ignore: string[]): RegisteredServer[] {
  return servers.filter((s) => s.type === 'EXTENDED' && s.enabled && !ignore.includes(s.name));
}

/** The serving list as it will be once this run has started the joining servers. */
function withJoining(serving: RegisteredServer[], joining: string[]): RegisteredServer[] {
  const joined = (name: string): RegisteredServer => ({ id: 0, name, type: 'EXTENDED', ipv4: '', enabled: true, status: 'ONLINE' });
  return [...serving.filter((s) => !joining.includes(s.name)), ...joining.map(joined)];
}

/** Does the task ask for the built-in server to be off, given the extended servers that would serve? */
function wantsOff(args: ServerArgs, serving: RegisteredServer[]): boolean {
  return args.enabled === 'auto' ? serving.length > 0 : args.enabled === false;
}

function validate(args: ServerArgs): void {
  if (!/^https?:\/\/./.test(args.api_url)) throw new ModuleError(`api_url '${args.api_url}' is not an http(s) URL`);
  if (Boolean(args.builtin) === Boolean(args.name))
    throw new ModuleError("give either name (an extended server) or builtin: true (the PBX's own server of the kind)");
  if (args.builtin && args.state === 'absent') throw new ModuleError('the built-in server cannot be removed; set enabled: false');
  if (args.builtin && (args.ipv4 || args.public_ipv4 || args.max_concurrent_sessions)) throw new ModuleError('only enabled can be set on the built-in server');
  if (args.enabled === 'auto' && !args.builtin) throw new ModuleError('enabled: auto is for the built-in server only');
  if (args.name && args.state !== 'absent' && !args.ipv4) throw new ModuleError('an extended server needs ipv4');
}

/** Calls of the PBX's API as a step; fn returns what goes into the task's result. */
// biome-ignore lint/suspicious/noConfusingVoidType: most calls only act and return nothing.
function apiStep(what: string, fn: () => Promise<Record<string, unknown> | void>): CallStep {
  return { kind: 'call', what, fn };
}

function describe(server: object | undefined, fields: readonly string[]): string {
  if (!server) return '';
  return `${fields.map((f) => `${f}: ${JSON.stringify((server as Record<string, unknown>)[f] ?? null)}`).join('\n')}\n`;
}

function builtinPlan(args: ServerArgs, found: Found, check: boolean): Outcome {
  const builtin = found.servers.find((s) => s.type === 'DEFAULT');
  if (!builtin) throw new ModuleError(`the PBX lists no built-in ${args.kind} server`);
  const label = `built-in ${args.kind} server`;
  const online = found.serving.filter((s) => s.status === 'ONLINE').map((s) => s.name);
  const others = found.serving.map((s) => `${s.name} ${s.status}`).join(', ') || 'none registered';
  const wantOff = wantsOff(args, found.serving);
  if (wantOff && !online.length) {
    // In check mode the extended servers may be the ones this very run starts.
    if (check) return { changed: builtin.enabled, msg: `would turn the ${label} off once an extended one is ONLINE (now: ${others})` };
    if (builtin.enabled) return { changed: false, failed: true, msg: `no extended ${args.kind} server is ONLINE (${others}); the ${label} stays on` };
  }
  // Off only while an extended server is ONLINE; auto turns a built-in server left off back on.
  const want = !wantOff || (online.length === 0 && args.enabled === 'auto');
  if (builtin.enabled === want) return { changed: false, msg: `${label} is ${want ? 'on' : 'off'}` };
  const why = want ? (wantOff ? `: no extended ${args.kind} server is ONLINE (${others})` : '') : ` (${online.join(', ')} serving)`;
  return {
    changed: true,
    msg: `${label} turned ${want ? 'on' : 'off'}${why}`,
    diff: [
      {
        before: `enabled: ${builtin.enabled}\n`,
        after: `enabled: ${want}\n`,
        beforeHeader: `${label} (${builtin.name})`,
        afterHeader: `${label} (${builtin.name})`,
      },
    ],
    steps: [
      apiStep(
        `turn the ${label} ${want ? 'on' : 'off'}`,
        async () => void (await call(args, 'POST', `${COLLECTIONS[args.kind]}/${builtin.id}`, { enabled: want })),
      ),
    ],
  };
}

function extendedPlan(args: ServerArgs, found: Found): Outcome {
  const current = found.servers.find((s) => s.type === 'EXTENDED' && s.name === args.name);
  const label = `${args.kind} server ${args.name}`;
  const path = COLLECTIONS[args.kind];
  if (args.state === 'absent') {
    if (!current) return { changed: false, msg: `${label} is not registered` };
    return {
      changed: true,
      msg: `${label} deregistered`,
      diff: [{ before: describe(current, ['name', ...DECLARED]), after: '', beforeHeader: label, afterHeader: label }],
      steps: [apiStep(`deregister ${label}`, async () => void (await call(args, 'DELETE', `${path}/${current.id}`)))],
    };
  }
  const want: Record<string, unknown> = { ipv4: args.ipv4, public_ipv4: args.public_ipv4 ?? '', enabled: args.enabled ?? true };
  if (args.max_concurrent_sessions !== undefined) want.max_concurrent_sessions = args.max_concurrent_sessions;
  const fields = DECLARED.filter((f) => f in want);
  const changes = current ? fields.filter((f) => (current as unknown as Record<string, unknown>)[f] !== want[f]) : fields;
  if (current && !changes.length) return { changed: false, msg: `${label} registered (${current.status})`, result: { id: current.id, status: current.status } };
  if (!current) {
    return {
      changed: true,
      msg: `${label} registered`,
      diff: [{ before: '', after: describe({ name: args.name, ...want }, ['name', ...fields]), beforeHeader: label, afterHeader: label }],
      steps: [apiStep(`register ${label}`, async () => ({ id: ((await call(args, 'POST', path, { name: args.name, ...want })) as { id: number }).id }))],
    };
  }
  const update = Object.fromEntries(changes.map((f) => [f, want[f]]));
  const diff: Diff[] = [{ before: describe(current, changes), after: describe(want, changes), beforeHeader: label, afterHeader: label }];
  return {
    changed: true,
    msg: `${label}: ${changes.join(', ')} changed`,
    diff,
    steps: [
      apiStep(`update ${label}`, async () => {
        await call(args, 'POST', `${path}/${current.id}`, update);
        return { id: current.id };
      }),
    ],
  };
}

export const pbx_server: Module<ServerArgs, Found> = {
  name: 'pbx_server',
  controllerOnly: true,
  schema: {
    type: 'object',
    description: "An entry of the PBX's server registry through its REST API: an extended server (name) or the built-in server of a kind (builtin: true).",
    properties: {
      api_url: { type: 'string', description: 'Base URL of the REST API, e.g. https://VIP:8887/api.' },
      api_token: { type: 'string', minLength: 1, description: 'Bearer token of a system admin.' },
      kind: { enum: Object.keys(COLLECTIONS), description: 'media | queue | meeting | ivr.' },
      name: { type: 'string', minLength: 1, description: 'Extended server name (as extend.sh -n uses it).' },
      builtin: { type: 'boolean', description: "The PBX's own server of this kind." },
      ipv4: { type: 'string', description: 'Extended server address.' },
      public_ipv4: { type: 'string', description: 'Static public address (media servers serving the Internet).' },
      max_concurrent_sessions: { type: 'integer', minimum: 1, description: 'Media server call session limit.' },
      enabled: {
        enum: [true, false, 'auto'],
        description: 'auto (built-in only): off while an extended server of the kind is registered, enabled and not in ignore.',
      },
      ignore: { type: 'array', items: { type: 'string' }, description: 'Extended servers about to stop or leave: auto does not count on them.' },
      joining: {
        type: 'array',
        items: { type: 'string' },
        description: 'Extended servers this run registers and starts: in check mode they count as ONLINE, so the preview shows what the run would do.',
      },
      state: { enum: ['present', 'absent'], description: 'Extended server registered or not (default present).' },
      wait_online: {
        type: 'integer',
        minimum: 0,
        description: 'Before turning a built-in server off: seconds to wait for an extended one to be ONLINE (default 30).',
      },
    },
    required: ['api_url', 'api_token', 'kind'],
    additionalProperties: false,
  },
  async probe(args, ctx) {
    validate(args);
    const deadline = Date.now() + (args.wait_online ?? 30) * 1000;
    for (;;) {
      const servers = await list(args);
      const registered = staying(servers, args.ignore ?? []);
      // A dry run cannot see the servers it would register and start; it counts them as they will be.
      const serving = ctx.check ? withJoining(registered, args.joining ?? []) : registered;
      // Read-only wait, as wait_for: an extended server reports ONLINE a moment after it starts.
      if (!args.builtin || !wantsOff(args, serving) || ctx.check || serving.some((s) => s.status === 'ONLINE') || Date.now() > deadline)
        return { servers, serving };
      await new Promise((r) => setTimeout(r, 1000));
    }
  },
  plan(args, found, ctx) {
    return args.builtin ? builtinPlan(args, found, ctx.check) : extendedPlan(args, found);
  },
};
