// Variables as templates see them: one host's scope at one task, rendered lazily (so
// `vip_cidr: "{{ vip }}/20"` sees the host's own `vip`), and host data that is never rendered again.
import { InputError } from '../../errors';

/** What renders a variable's value in its scope (the templar). */
export interface ValueRenderer {
  renderValue(value: unknown, scope: VarScope, where: string): unknown;
}

/**
 * Values that came back from hosts (registered results) are data, never templates: like Ansible's
 * "unsafe" values, they are not rendered again, so a `{{` in a command's output stays text.
 */
const UNSAFE = new WeakSet<object>();

/** Host data: rendered by nobody. */
export function isUnsafe(value: unknown): boolean {
  return value !== null && typeof value === 'object' && UNSAFE.has(value);
}

export function markUnsafe<T extends object>(value: T): T {
  UNSAFE.add(dropUndefined(value));
  return value;
}

/** Host data is JSON-like, as in Ansible: a key whose value is undefined is no key at all. */
function dropUndefined<T>(value: T): T {
  if (Array.isArray(value)) {
    for (const item of value) dropUndefined(item);
  } else if (value !== null && typeof value === 'object' && value.constructor === Object) {
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) delete (value as Record<string, unknown>)[k];
      else dropUndefined(v);
    }
  }
  return value;
}

/** Ansible's `omit`: a task argument rendered to it is dropped. */
export const OMIT = Object.freeze({ __omit_place_holder__: true });

/**
 * Variables of one host at one task, each templated value rendered on first use. Names in
 * `data` hold values that are final already (facts, registered results, set_fact values, loop
 * items): they came from hosts or from a rendering, and are never templated again.
 */
export class VarScope {
  private readonly rendered = new Map<string, unknown>();
  private readonly resolving = new Set<string>();

  constructor(
    readonly raw: Record<string, unknown>,
    private readonly templar: ValueRenderer,
    private readonly data: ReadonlySet<string> = new Set(),
  ) {}

  /** A scope from layers of variables, lowest precedence first; `data` layers are final values. */
  static layered(templar: ValueRenderer, layers: { vars: Record<string, unknown>; data?: boolean }[]): VarScope {
    const raw: Record<string, unknown> = {};
    const data = new Set<string>();
    for (const layer of layers) {
      for (const [name, value] of Object.entries(layer.vars)) {
        raw[name] = value;
        if (layer.data) data.add(name);
        else data.delete(name);
      }
    }
    return new VarScope(raw, templar, data);
  }

  has(name: string): boolean {
    return name in this.raw;
  }

  get(name: string): unknown {
    if (this.rendered.has(name)) return this.rendered.get(name);
    if (!(name in this.raw)) return undefined;
    if (this.data.has(name)) return this.raw[name];
    if (this.resolving.has(name)) throw new InputError(`variable '${name}' refers to itself (${[...this.resolving, name].join(' -> ')})`);
    this.resolving.add(name);
    try {
      const value = this.templar.renderValue(this.raw[name], this, `variable '${name}'`);
      this.rendered.set(name, value);
      return value;
    } finally {
      this.resolving.delete(name);
    }
  }

  /** A child scope with more variables on top (loop items, registered results): final values. */
  with(extra: Record<string, unknown>): VarScope {
    return new VarScope({ ...this.raw, ...extra }, this.templar, new Set([...this.data, ...Object.keys(extra)]));
  }

  /** All variables rendered: for hostvars and debug output. */
  resolveAll(): Record<string, unknown> {
    return Object.fromEntries(Object.keys(this.raw).map((k) => [k, this.get(k)]));
  }
}
