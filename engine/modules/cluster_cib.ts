// cluster_cib: the Pacemaker configuration (cluster properties, defaults, resources, constraints)
// declared in YAML. The probe reads the live CIB and builds the desired one from it (declared
// elements replaced, the rest kept); the difference is the --diff output; `crm_verify` judges the
// new CIB and `crm_diff` turns it into a patch even in check mode (both read-only); apply is one
// `cibadmin --patch`, so the cluster sees one transition, never a half-built configuration.
// A dry run on bare nodes (the cluster would have been started by earlier tasks) compares with
// an empty CIB (`cibadmin --empty`), so the first preview shows the whole configuration, verified.
import { type Module, type ModuleContext, ModuleError } from './types';
import { mustRun, run } from './util/remote';
import { child, type El, el, parseXml, serialize } from './util/xml';

type Scalar = string | number | boolean;
type Attrs = Record<string, Scalar>;

interface OpSpec {
  name: string;
  interval?: string;
  timeout?: string;
  role?: string;
  [attribute: string]: Scalar | undefined;
}

export interface ResourceSpec {
  id: string;
  /** class:provider:type (ocf:heartbeat:IPaddr2), class:type (systemd:pbx, stonith:fence_lab). */
  agent?: string;
  params?: Attrs;
  meta?: Attrs;
  ops?: OpSpec[];
  /** A group: its members, started in this order on one node. */
  members?: ResourceSpec[];
  /** Run on several nodes; meta attributes of the clone. */
  clone?: Attrs | boolean;
  /** A promotable clone (DRBD): one promoted instance. */
  promotable?: Attrs | boolean;
}

interface ConstraintSpec {
  colocation?: { rsc: string; with: string; score?: Scalar; rsc_role?: string; with_role?: string };
  order?: { first: string; then: string; first_action?: string; then_action?: string; kind?: string; symmetrical?: boolean };
  location?: { rsc: string; node: string; score?: Scalar };
}

interface CibArgs {
  properties?: Attrs;
  resource_defaults?: Attrs;
  op_defaults?: Attrs;
  resources?: ResourceSpec[];
  constraints?: ConstraintSpec[];
  remove_undeclared?: boolean;
  wait?: number;
}

interface Found {
  liveXml: string;
  /** No cluster runs yet (dry run): liveXml is an empty CIB. */
  fromEmpty: boolean;
  before: string;
  after: string;
  newXml: string;
  undeclared: string[];
  verify?: { ok: boolean; output: string };
}

const MANAGED_SECTIONS = ['crm_config', 'rsc_defaults', 'op_defaults', 'resources', 'constraints'];

const nvpairs = (owner: string, attrs: Attrs | undefined): El[] =>
  Object.entries(attrs ?? {}).map(([name, value]) => el('nvpair', { id: `${owner}-${name}`, name, value: String(value) }));

function attributeSet(kind: 'instance_attributes' | 'meta_attributes', owner: string, attrs: Attrs | undefined): El[] {
  const id = `${owner}-${kind}`;
  return attrs && Object.keys(attrs).length ? [el(kind, { id }, nvpairs(id, attrs))] : [];
}

function operation(rsc: string, op: OpSpec): El {
  const interval = op.interval ?? '0s';
  const { name, role, ...rest } = op;
  const id = [rsc, name, role, 'interval', interval].filter(Boolean).join('-');
  return el('op', { id, name, role, ...Object.fromEntries(Object.entries({ ...rest, interval }).map(([k, v]) => [k, v === undefined ? undefined : String(v)])) });
}

function primitive(spec: ResourceSpec): El {
  const [cls, a, b] = String(spec.agent).split(':');
  const [provider, type] = b === undefined ? [undefined, a] : [a, b];
  const ops = spec.ops?.length ? [el('operations', {}, spec.ops.map((op) => operation(spec.id, op)))] : [];
  return el('primitive', { id: spec.id, class: cls, provider, type }, [...attributeSet('instance_attributes', spec.id, spec.params), ...attributeSet('meta_attributes', spec.id, spec.meta), ...ops]);
}

/** The CIB element of one declared resource (primitive or group, wrapped in a clone if asked). */
export function resourceElement(spec: ResourceSpec): El {
  const inner = spec.members ? el('group', { id: spec.id }, [...attributeSet('meta_attributes', spec.id, spec.meta), ...spec.members.map(primitive)]) : primitive(spec);
  const cloneMeta = spec.promotable ?? spec.clone;
  if (!cloneMeta) return inner;
  const id = `${spec.id}-clone`;
  const meta: Attrs = { ...(spec.promotable ? { promotable: true } : {}), ...(typeof cloneMeta === 'object' ? cloneMeta : {}) };
  return el('clone', { id }, [...attributeSet('meta_attributes', id, meta), inner]);
}

export function constraintElement(spec: ConstraintSpec): El {
  if (spec.colocation) {
    const c = spec.colocation;
    const score = String(c.score ?? 'INFINITY');
    return el('rsc_colocation', { id: `colocation-${c.rsc}-${c.with}-${score}`, rsc: c.rsc, 'with-rsc': c.with, score, 'rsc-role': c.rsc_role, 'with-rsc-role': c.with_role });
  }
  if (spec.order) {
    const o = spec.order;
    const kind = o.kind ?? 'Mandatory';
    return el('rsc_order', { id: `order-${o.first}-${o.then}-${kind}`, first: o.first, then: o.then, 'first-action': o.first_action ?? 'start', 'then-action': o.then_action ?? 'start', kind, symmetrical: o.symmetrical === undefined ? undefined : String(o.symmetrical) });
  }
  if (spec.location) {
    const l = spec.location;
    const score = String(l.score ?? 'INFINITY');
    return el('rsc_location', { id: `location-${l.rsc}-${l.node}-${score}`, rsc: l.rsc, node: l.node, score });
  }
  throw new Error('constraint must be one of colocation, order, location');
}

/** Sets the declared properties in cib-bootstrap-options; other properties (dc-version, ...) stay. */
function withProperties(crmConfig: El | undefined, properties: Attrs | undefined): El {
  const config = crmConfig ?? el('crm_config');
  if (!properties || !Object.keys(properties).length) return config;
  const setId = 'cib-bootstrap-options';
  const set = config.children.find((c) => c.attrs.id === setId) ?? el('cluster_property_set', { id: setId });
  const pairs = [...set.children];
  for (const [name, value] of Object.entries(properties)) {
    const at = pairs.findIndex((p) => p.attrs.name === name);
    const pair = el('nvpair', { id: at >= 0 ? pairs[at].attrs.id : `${setId}-${name}`, name, value: String(value) });
    if (at >= 0) pairs[at] = pair;
    else pairs.push(pair);
  }
  const updated = { ...set, children: pairs };
  const others = config.children.filter((c) => c.attrs.id !== setId);
  return { ...config, children: [updated, ...others] };
}

function defaultsSection(name: 'rsc_defaults' | 'op_defaults', live: El | undefined, attrs: Attrs | undefined): El | undefined {
  if (attrs === undefined) return live;
  const id = `${name}-options`;
  return el(name, {}, Object.keys(attrs).length ? [el('meta_attributes', { id }, nvpairs(id, attrs))] : []);
}

/**
 * Declared elements replace live ones with the same id in place (so unchanged order gives a minimal
 * patch); new ones are appended; undeclared ones are kept, or dropped with remove_undeclared.
 * `cli-*` constraints belong to crm_resource --move/--ban and are never touched.
 */
function merge(live: El | undefined, name: string, declared: El[], remove: boolean, undeclared: string[]): El {
  const wanted = new Map(declared.map((d) => [d.attrs.id, d]));
  const out: El[] = [];
  for (const current of live?.children ?? []) {
    const id = current.attrs.id;
    if (wanted.has(id)) {
      out.push(wanted.get(id)!);
      wanted.delete(id);
    } else if (id.startsWith('cli-')) out.push(current);
    else {
      undeclared.push(`${current.name} ${id}`);
      if (!remove) out.push(current);
    }
  }
  return el(name, {}, [...out, ...wanted.values()]);
}

function configurationOf(cib: El): El {
  const configuration = child(cib, 'configuration');
  if (!configuration) throw new Error('CIB has no configuration section');
  return configuration;
}

/** Empty attribute sets mean nothing; crm_resource leaves them behind (after a restart, say). */
function withoutEmptySets(node: El): El {
  const children = node.children.filter((c) => !(c.name.endsWith('_attributes') && !c.children.length)).map(withoutEmptySets);
  return { ...node, children };
}

/** nvpairs whose values are secrets (fence agents' password, passwd, secret keys, tokens). */
const SECRET_NVPAIR = /\bname="[^"]*(pass(word|wd)?|secret|token)[^"]*"/i;

/** The configuration text as --diff shows it: secret nvpair values masked. */
export function maskedCib(text: string): string {
  return text.replace(/<nvpair\b[^>]*>/g, (tag) => (SECRET_NVPAIR.test(tag) ? tag.replace(/\bvalue="[^"]*"/, 'value="********"') : tag));
}

/** The managed part of a configuration, as text: what --diff shows and what is compared. */
function managedText(configuration: El): string {
  return MANAGED_SECTIONS.map((name) => child(configuration, name))
    .filter((section): section is El => section !== undefined)
    .map((section) => serialize(withoutEmptySets(section)))
    .join('');
}

export function desiredCib(live: El, args: CibArgs): { cib: El; undeclared: string[] } {
  const configuration = configurationOf(live);
  const undeclared: string[] = [];
  const sections: Record<string, El | undefined> = {
    crm_config: withProperties(child(configuration, 'crm_config'), args.properties),
    rsc_defaults: defaultsSection('rsc_defaults', child(configuration, 'rsc_defaults'), args.resource_defaults),
    op_defaults: defaultsSection('op_defaults', child(configuration, 'op_defaults'), args.op_defaults),
    resources: args.resources ? merge(child(configuration, 'resources'), 'resources', args.resources.map(resourceElement), Boolean(args.remove_undeclared), undeclared) : child(configuration, 'resources'),
    constraints: args.constraints ? merge(child(configuration, 'constraints'), 'constraints', args.constraints.map(constraintElement), Boolean(args.remove_undeclared), undeclared) : child(configuration, 'constraints'),
  };
  // Sections keep the order the CIB schema requires.
  const order = ['crm_config', 'rsc_defaults', 'op_defaults', 'nodes', 'resources', 'constraints'];
  const children = configuration.children.filter((c) => !(c.name in sections));
  for (const section of Object.values(sections)) if (section) children.push(section);
  children.sort((a, b) => (order.indexOf(a.name) + 1 || 99) - (order.indexOf(b.name) + 1 || 99));
  const newConfiguration = { ...configuration, children };
  return { cib: { ...live, children: live.children.map((c) => (c.name === 'configuration' ? newConfiguration : c)) }, undeclared };
}

// When the cluster does not settle in time, what it was doing goes into the error (to stderr).
const SETTLE_DIAGNOSTICS = "{ echo '--- cluster at the timeout:'; crm_mon -1 -r 2>&1 | tail -n +2; echo '--- pacemaker log of this node:'; tail -n 40 /var/log/pacemaker/pacemaker.log 2>/dev/null | cut -c1-220; } >&2";
const SPLIT = '--CIB-SPLIT--';

/** The configuration's version counters, as the shell pipeline EPOCHS prints them. */
const EPOCHS = `grep -o ' \\(admin_\\)\\?epoch="[0-9]*"' | sort | tr -d '\\n'`;
function epochs(cibXml: string): string {
  const tag = cibXml.slice(0, cibXml.indexOf('>'));
  return [...tag.matchAll(/ (admin_)?epoch="\d*"/g)].map((m) => m[0]).sort().join('');
}

/** Writes live and new CIB to a private temp dir on the node, runs `body` there, cleans up. */
function withCibFiles(body: string): string {
  return [
    'set -e; d=$(mktemp -d); trap \'rm -rf "$d"\' EXIT',
    `awk -v d="$d" '/^${SPLIT}$/ { n = 1; next } { print > (n ? d "/new.xml" : d "/live.xml") }'`,
    body,
  ].join('\n');
}

/** cibadmin's exit code when no CIB manager answers (Pacemaker not running): ENOTCONN. */
const CIB_NOT_CONNECTED = 102;

/** The live CIB; in a dry run whose earlier changes would have started the cluster, an empty one. */
async function liveCib(ctx: ModuleContext): Promise<{ xml: string; fromEmpty: boolean }> {
  const res = await run(ctx, 'cibadmin --query');
  if (res.rc === 0) return { xml: res.stdout, fromEmpty: false };
  if (res.rc === CIB_NOT_CONNECTED && ctx.predict) return { xml: (await mustRun(ctx, 'cibadmin --empty')).stdout, fromEmpty: true };
  throw new ModuleError(`cibadmin --query: failed (rc=${res.rc}): ${(res.stderr || res.stdout).trim()}`, { rc: res.rc, stderr: res.stderr });
}

async function probeCib(args: CibArgs, ctx: ModuleContext): Promise<Found> {
  const { xml: liveXml, fromEmpty } = await liveCib(ctx);
  const live = parseXml(liveXml);
  const { cib, undeclared } = desiredCib(live, args);
  const before = managedText(configurationOf(live));
  const after = managedText(configurationOf(cib));
  const newXml = serialize(cib);
  if (before === after) return { liveXml, fromEmpty, before, after, newXml, undeclared };
  // Read-only judgement of the proposal, in check mode too: the cluster's own validator.
  const res = await run(ctx, withCibFiles('crm_verify --xml-file "$d/new.xml" -V 2>&1 && echo VERIFY-OK || true'), `${liveXml}\n${SPLIT}\n${newXml}`);
  const ok = /VERIFY-OK\s*$/.test(res.stdout);
  return { liveXml, fromEmpty, before, after, newXml, undeclared, verify: { ok, output: res.stdout.replace(/VERIFY-OK\s*$/, '').trim() } };
}

export const cluster_cib: Module<CibArgs, Found> = {
  name: 'cluster_cib',
  schema: {
    type: 'object',
    description: 'Pacemaker configuration as declared: properties, defaults, resources (primitives, groups, clones, promotable clones) and constraints, applied as one CIB patch.',
    properties: {
      properties: { type: 'object', description: 'Cluster properties (cib-bootstrap-options), e.g. stonith-enabled, no-quorum-policy.' },
      resource_defaults: { type: 'object', description: 'Resource defaults (meta attributes), e.g. resource-stickiness. Replaces all resource defaults.' },
      op_defaults: { type: 'object', description: 'Operation defaults, e.g. timeout. Replaces all operation defaults.' },
      resources: {
        type: 'array',
        description: 'Top-level resources in order: {id, agent, params, meta, ops} or a group {id, members: [...]}; clone/promotable wraps either.',
        items: {
          type: 'object',
          required: ['id'],
          properties: {
            id: { type: 'string' },
            agent: { type: 'string', pattern: '^(\\{\\{.*|[a-z]+(:[A-Za-z0-9_.-]+){1,2})$' },
            params: { type: 'object' },
            meta: { type: 'object' },
            ops: { type: 'array', items: { type: 'object', required: ['name'] } },
            members: { type: 'array', items: { type: 'object', required: ['id', 'agent'] } },
            clone: { type: ['object', 'boolean'] },
            promotable: { type: ['object', 'boolean'] },
          },
          additionalProperties: false,
        },
      },
      constraints: {
        type: 'array',
        description: 'Constraints: {colocation: {rsc, with, score, with_role}}, {order: {first, then, first_action, then_action, kind}}, {location: {rsc, node, score}}.',
        items: {
          type: 'object',
          properties: { colocation: { type: 'object', required: ['rsc', 'with'] }, order: { type: 'object', required: ['first', 'then'] }, location: { type: 'object', required: ['rsc', 'node'] } },
          additionalProperties: false,
          minProperties: 1,
          maxProperties: 1,
        },
      },
      remove_undeclared: { type: 'boolean', description: 'Remove resources and constraints that are not declared (default: keep and report them).' },
      wait: { type: 'integer', description: 'Seconds to wait for the cluster to settle after a change (default 60; 0 = do not wait).' },
    },
    additionalProperties: false,
  },
  probe: probeCib,
  plan(args, found, ctx) {
    const report = found.undeclared.length ? ` (not declared, ${args.remove_undeclared ? 'removed' : 'kept'}: ${found.undeclared.join(', ')})` : '';
    const result = { undeclared: found.undeclared };
    if (found.before === found.after) return { changed: false, msg: `cluster configuration as declared${report}`, result };
    if (!found.verify?.ok) return { changed: false, failed: true, msg: `crm_verify rejects the new configuration: ${found.verify?.output ?? ''}`, result };
    const [before, after] = [maskedCib(found.before), maskedCib(found.after)];
    const hidden = before === after ? ' (only secret parameters changed; their values are not shown)' : '';
    return {
      changed: true,
      msg: `cluster configuration ${ctx.check ? 'would be updated' : 'updated'} (crm_verify accepts it)${report}${hidden}`,
      result,
      diff: [{ before, after, beforeHeader: found.fromEmpty ? 'empty CIB (no cluster runs yet)' : 'live CIB', afterHeader: 'declared CIB' }],
      apply: async () => {
        // crm_diff exits 1 when there are differences; the patch is applied in one step.
        const wait = args.wait ?? 60;
        const script = withCibFiles(
          [
            // Refuse if someone changed the configuration since it was read: the patch was computed against that.
            `[ "$(cibadmin --query --xpath /cib --no-children | ${EPOCHS})" = '${epochs(found.liveXml)}' ] || { echo 'the cluster configuration changed since it was read; run again' >&2; exit 3; }`,
            'crm_diff --original "$d/live.xml" --new "$d/new.xml" --no-version > "$d/patch.xml" || [ $? -eq 1 ]',
            'cibadmin --patch --xml-file "$d/patch.xml"',
            wait > 0 ? `crm_resource --wait --timeout=${wait}s || { rc=$?; ${SETTLE_DIAGNOSTICS}; exit $rc; }` : 'true',
          ].join('\n'),
        );
        await mustRun(ctx, script, `${found.liveXml}\n${SPLIT}\n${found.newXml}`);
      },
    };
  },
};
