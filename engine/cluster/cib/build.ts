// The declared Pacemaker configuration as CIB XML: resources (primitives, groups, clones), their
// operations and attribute sets, constraints, properties and defaults, merged into the live CIB
// (declared elements replaced, the rest kept). Pure: no host, no shell.
import { child, type El, el, serialize } from './xml';

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
  /** class:provider:type (ocf:heartbeat:IPaddr2), class:type (systemd:pbx, stonith:fence_ipmilan). */
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

/** What a site declares (cluster_cib's arguments). */
export interface CibDeclaration {
  properties?: Attrs;
  resource_defaults?: Attrs;
  op_defaults?: Attrs;
  resources?: ResourceSpec[];
  constraints?: ConstraintSpec[];
  remove_undeclared?: boolean;
  /** Ids of resources or constraints that must not exist. */
  absent?: string[];
  wait?: number;
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
  return el('op', {
    id,
    name,
    role,
    ...Object.fromEntries(Object.entries({ ...rest, interval }).map(([k, v]) => [k, v === undefined ? undefined : String(v)])),
  });
}

function primitive(spec: ResourceSpec): El {
  const [cls, a, b] = String(spec.agent).split(':');
  const [provider, type] = b === undefined ? [undefined, a] : [a, b];
  const ops = spec.ops?.length
    ? [
        el(
          'operations',
          {},
          spec.ops.map((op) => operation(spec.id, op)),
        ),
      ]
    : [];
  return el('primitive', { id: spec.id, class: cls, provider, type }, [
    ...attributeSet('instance_attributes', spec.id, spec.params),
    ...attributeSet('meta_attributes', spec.id, spec.meta),
    ...ops,
  ]);
}

/** The CIB element of one declared resource (primitive or group, wrapped in a clone if asked). */
function resourceElement(spec: ResourceSpec): El {
  const inner = spec.members
    ? el('group', { id: spec.id }, [...attributeSet('meta_attributes', spec.id, spec.meta), ...spec.members.map(primitive)])
    : primitive(spec);
  const cloneMeta = spec.promotable ?? spec.clone;
  if (!cloneMeta) return inner;
  const id = `${spec.id}-clone`;
  const meta: Attrs = { ...(spec.promotable ? { promotable: true } : {}), ...(typeof cloneMeta === 'object' ? cloneMeta : {}) };
  return el('clone', { id }, [...attributeSet('meta_attributes', id, meta), inner]);
}

function constraintElement(spec: ConstraintSpec): El {
  if (spec.colocation) {
    const c = spec.colocation;
    const score = String(c.score ?? 'INFINITY');
    return el('rsc_colocation', {
      id: `colocation-${c.rsc}-${c.with}-${score}`,
      rsc: c.rsc,
      'with-rsc': c.with,
      score,
      'rsc-role': c.rsc_role,
      'with-rsc-role': c.with_role,
    });
  }
  if (spec.order) {
    const o = spec.order;
    const kind = o.kind ?? 'Mandatory';
    return el('rsc_order', {
      id: `order-${o.first}-${o.then}-${kind}`,
      first: o.first,
      then: o.then,
      'first-action': o.first_action ?? 'start',
      'then-action': o.then_action ?? 'start',
      kind,
      symmetrical: o.symmetrical === undefined ? undefined : String(o.symmetrical),
    });
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
 * patch); new ones are appended; undeclared ones are kept, or dropped with remove_undeclared;
 * those named absent are dropped.
 * `cli-*` constraints belong to crm_resource --move/--ban and are never touched.
 */
function merge(live: El | undefined, name: string, declared: El[], remove: boolean, undeclared: string[], absent: Set<string>): El {
  const wanted = new Map(declared.map((d) => [d.attrs.id, d]));
  const out: El[] = [];
  for (const current of live?.children ?? []) {
    const id = current.attrs.id;
    if (absent.has(id) && !id.startsWith('cli-')) continue;
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

export function configurationOf(cib: El): El {
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
export function managedText(configuration: El): string {
  return MANAGED_SECTIONS.map((name) => child(configuration, name))
    .filter((section): section is El => section !== undefined)
    .map((section) => serialize(withoutEmptySets(section)))
    .join('');
}

export function desiredCib(live: El, args: CibDeclaration): { cib: El; undeclared: string[] } {
  const configuration = configurationOf(live);
  const undeclared: string[] = [];
  const absent = new Set(args.absent ?? []);
  const declaredAbsent = [...(args.resources ?? []).map((r) => r.id), ...(args.constraints ?? []).map((c) => constraintElement(c).attrs.id)].filter((id) =>
    absent.has(id),
  );
  if (declaredAbsent.length) throw new Error(`declared and absent at once: ${declaredAbsent.join(', ')}`);
  const merged = (section: 'resources' | 'constraints', declared: El[] | undefined) => {
    const current = child(configuration, section);
    if (declared) return merge(current, section, declared, Boolean(args.remove_undeclared), undeclared, absent);
    // A section nothing is declared for stays as it is, except for the elements named absent.
    return current && { ...current, children: current.children.filter((c) => !absent.has(c.attrs.id) || c.attrs.id.startsWith('cli-')) };
  };
  const sections: Record<string, El | undefined> = {
    crm_config: withProperties(child(configuration, 'crm_config'), args.properties),
    rsc_defaults: defaultsSection('rsc_defaults', child(configuration, 'rsc_defaults'), args.resource_defaults),
    op_defaults: defaultsSection('op_defaults', child(configuration, 'op_defaults'), args.op_defaults),
    resources: merged('resources', args.resources?.map(resourceElement)),
    constraints: merged('constraints', args.constraints?.map(constraintElement)),
  };
  // Sections keep the order the CIB schema requires.
  const order = ['crm_config', 'rsc_defaults', 'op_defaults', 'nodes', 'resources', 'constraints'];
  const children = configuration.children.filter((c) => !(c.name in sections));
  for (const section of Object.values(sections)) if (section) children.push(section);
  children.sort((a, b) => (order.indexOf(a.name) + 1 || 99) - (order.indexOf(b.name) + 1 || 99));
  const newConfiguration = { ...configuration, children };
  return { cib: { ...live, children: live.children.map((c) => (c.name === 'configuration' ? newConfiguration : c)) }, undeclared };
}
