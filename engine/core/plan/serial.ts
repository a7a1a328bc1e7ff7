// serial: batches of hosts from a number, a percentage, or a list of them (the last repeats).
import { InputError } from '../errors';
import type { Templar } from '../load/template/templar';
import { VarScope } from '../load/template/scope';

function size(spec: unknown, total: number): number {
  const text = String(spec).trim();
  const n = text.endsWith('%') ? Math.floor((Number(text.slice(0, -1)) / 100) * total) : Number(text);
  if (!Number.isFinite(n) || n < 0) throw new InputError(`serial: '${text}' is not a number or percentage`);
  return Math.max(1, n);
}

/** `vars`: what serial may be templated with (play vars and extra vars; hosts do not exist yet). */
export function serialBatches(serial: unknown, hosts: string[], templar: Templar, vars: Record<string, unknown> = {}): string[][] {
  if (serial === undefined || serial === null) return [hosts];
  const value = templar.renderValue(serial, new VarScope(vars, templar), 'serial');
  const specs = Array.isArray(value) ? value : [value];
  if (!specs.length) return [hosts];
  const batches: string[][] = [];
  let next = 0;
  for (let i = 0; next < hosts.length; i++) {
    const n = size(specs[Math.min(i, specs.length - 1)], hosts.length);
    batches.push(hosts.slice(next, next + n));
    next += n;
  }
  return batches;
}
