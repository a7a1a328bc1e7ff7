// Ansible host patterns: all, *, group, host, globs, a:b (union), a:!b (except), a:&b (and).
import { InputError, suggestion } from '../errors';
import { ensureHost, hostsOfGroup, type Inventory } from '../load/inventory';
import { globRegExp } from '../glob';
import type { Play } from '../load/types';

function matchOne(inv: Inventory, term: string): string[] {
  if (term === 'all' || term === '*') return [...inv.hosts];
  if (inv.groups.has(term)) return inv.hosts.filter((h) => hostsOfGroup(inv, term).has(h));
  if (inv.hostVars.has(term) || ensureHost(inv, term)) return [term];
  if (term.startsWith('~')) {
    let re: RegExp;
    try {
      re = new RegExp(term.slice(1));
    } catch (err) {
      throw new InputError(`host pattern '${term}': ${(err as Error).message}`);
    }
    return inv.hosts.filter((h) => re.test(h));
  }
  if (/[*?[]/.test(term)) {
    const re = globRegExp(term);
    const groups = [...inv.groups.keys()].filter((g) => re.test(g));
    return inv.hosts.filter((h) => re.test(h) || groups.some((g) => hostsOfGroup(inv, g).has(h)));
  }
  return [];
}

/**
 * Resolves a pattern to hosts in inventory order. Unknown names are reported (as Ansible warns)
 * through `unknown`, so the CLI can say which term matched nothing.
 */
export function resolvePattern(inv: Inventory, pattern: string | string[], unknown: string[] = []): string[] {
  const terms = (Array.isArray(pattern) ? pattern : [pattern])
    .flatMap((p) => String(p).split(/[:,]/))
    .map((t) => t.trim())
    .filter(Boolean);
  let selected = new Set<string>();
  const intersections: Set<string>[] = [];
  const exclusions = new Set<string>();
  for (const term of terms) {
    const [op, name] = term.startsWith('!') ? ['!', term.slice(1)] : term.startsWith('&') ? ['&', term.slice(1)] : ['', term];
    const hosts = matchOne(inv, name);
    if (!hosts.length && !inv.groups.has(name)) unknown.push(name);
    if (op === '!') for (const h of hosts) exclusions.add(h);
    else if (op === '&') intersections.push(new Set(hosts));
    else for (const h of hosts) selected.add(h);
  }
  for (const and of intersections) selected = new Set([...selected].filter((h) => and.has(h)));
  const order = [...inv.hosts, ...[...selected].filter((h) => !inv.hosts.includes(h))];
  return order.filter((h) => selected.has(h) && !exclusions.has(h));
}

export function checkLimit(inv: Inventory, limit: string): string[] {
  const unknown: string[] = [];
  const hosts = resolvePattern(inv, limit, unknown);
  if (!hosts.length) {
    const known = [...inv.groups.keys(), ...inv.hosts];
    throw new InputError(`--limit '${limit}' matches no host${unknown.length ? `: unknown '${unknown[0]}'${suggestion(unknown[0], known)}` : ''}`);
  }
  return hosts;
}

/** The play's `order`: inventory order (as resolved), sorted by name, or either reversed. */
function ordered(hosts: string[], order: Play['order']): string[] {
  const sorted = order === 'sorted' || order === 'reverse_sorted' ? [...hosts].sort() : [...hosts];
  return order === 'reverse_inventory' || order === 'reverse_sorted' ? sorted.reverse() : sorted;
}

/** The hosts a play runs on, in its order: its pattern, within --limit. */
export function playHosts(inv: Inventory, play: Pick<Play, 'hosts' | 'order'>, limit?: string, unknown: string[] = []): string[] {
  let hosts = resolvePattern(inv, play.hosts, unknown);
  if (limit) {
    const limited = new Set(resolvePattern(inv, limit));
    hosts = hosts.filter((h) => limited.has(h));
  }
  return ordered(hosts, play.order);
}
