// Site variables held to the schema their vars file names, wherever a value comes from: the vars
// file, the inventory, play vars, -e, and each value once templated. Secrets the schema marks
// writeOnly are remembered, so no output shows them.
import { dirname } from 'node:path';
import { InputError, type SourcePos } from '../errors';
import { type Inventory, inventoryVarPosition, inventoryVars } from '../load/inventory';
import { rememberSecret } from '../load/secrets';
import type { Templar } from '../load/template/templar';
import { VarScope } from '../load/template/scope';
import type { Play, Vars } from '../load/types';
import { positionOf } from '../load/yaml';
import type { SiteSchema } from '../load/validate';

export interface SiteSources {
  templar: Templar;
  inventory: Inventory;
  playbookDir: string;
  extraVars: Vars;
  /** Each vars file of the play, parsed. */
  files: { file: string; data: Vars }[];
}

/** Where the value of `name` that wins for `host` was written: a file position, or what else. */
function originOf(sources: SiteSources, play: Play, host: string, name: string): { pos?: SourcePos; label?: string } {
  if (name in sources.extraVars) return { label: 'given with -e' };
  const file = [...sources.files].reverse().find((f) => name in f.data);
  if (file) return { pos: positionOf(file.data, name) ?? { file: file.file, line: 1, col: 1 } };
  if (name in play.vars) return { pos: positionOf(play.vars, name) ?? play.pos };
  const pos = inventoryVarPosition(sources.inventory, host, name);
  return pos ? { pos } : { label: `from the inventory${sources.inventory.file ? ` ${sources.inventory.file}` : ''} for ${host}` };
}

/** The host's site variables in Ansible's precedence: inventory < play vars < vars files < -e. */
function siteScope(sources: SiteSources, play: Play, host: string): VarScope {
  const files = Object.assign({}, ...sources.files.map((f) => f.data));
  const inventoryDir = sources.inventory.file ? dirname(sources.inventory.file) : undefined;
  const magic = { inventory_hostname: host, playbook_dir: sources.playbookDir, inventory_dir: inventoryDir };
  return new VarScope({ ...inventoryVars(sources.inventory, host), ...play.vars, ...files, ...sources.extraVars, ...magic }, sources.templar);
}

/**
 * Checks every schema property a host has, raw and rendered; the first bad one stops the run
 * before any task, naming where the value was written. A value that cannot be rendered yet (it
 * needs facts, or a vault this run has no password for) is checked raw only.
 */
export function checkSiteValues(site: SiteSchema, sources: SiteSources, play: Play, hosts: string[]): void {
  for (const host of hosts) {
    const scope = siteScope(sources, play, host);
    for (const name of site.properties.filter((p) => scope.has(p))) {
      const raw = scope.raw[name];
      let value: unknown = raw;
      try {
        value = scope.get(name);
      } catch {
        value = raw;
      }
      const problem = site.problem(name, raw) ?? (value === raw ? undefined : site.problem(name, value));
      if (problem) {
        const { pos, label } = originOf(sources, play, host, name);
        const rendered = value === raw ? '' : ` (rendered for ${host}: ${JSON.stringify(value)})`;
        throw new InputError(`${label ? `${label}: ` : ''}${problem}${rendered}`, pos, name);
      }
      for (const secret of site.secretsIn(name, value)) rememberSecret(secret);
    }
  }
}
