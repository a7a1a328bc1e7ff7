// A play's vars_files for the hosts it runs on, read before any task: paths may be templated with
// inventory and extra vars; a file naming a schema in its modeline is held to it (plan/site.ts).
import { dirname, isAbsolute, join } from 'node:path';
import { InputError } from '../errors';
import { type Inventory, inventoryVars } from '../load/inventory';
import type { Templar } from '../load/template/templar';
import { VarScope } from '../load/template/scope';
import type { Play, Vars } from '../load/types';
import { type SiteSchema, validateAgainstModeline } from '../load/validate';
import { loadYamlFile } from '../load/yaml';
import { checkSiteValues } from './site';

/**
 * vars_files, loaded once per play. Paths may be templated with inventory and extra vars (so an
 * inventory can name its site's vars file); a file that names a schema in its modeline is held to it.
 */
export interface VarsFileContext {
  templar: Templar;
  inventory: Inventory;
  playbookDir: string;
  options: { extraVars: Vars };
}

export function loadVarsFiles(run: VarsFileContext, play: Play, hosts: string[]): Vars {
  const vars: Vars = {};
  const files: { file: string; data: Vars }[] = [];
  const sites = new Map<string, SiteSchema>();
  for (const { path, pos } of play.varsFiles) {
    const rendered = hosts.map((h) => String(run.templar.renderValue(path, varsFileScope(run, play, h), 'vars_files', pos)));
    if (new Set(rendered).size > 1)
      throw new InputError(
        `vars_files entry '${path}' names different files for different hosts (${[...new Set(rendered)].join(', ')}); one play, one file`,
        pos,
      );
    const file = isAbsolute(rendered[0]) ? rendered[0] : join(play.dir, rendered[0]);
    const { data, src } = loadYamlFile(file, pos);
    if (data !== null && (typeof data !== 'object' || Array.isArray(data)))
      throw new InputError('vars_files entry must hold a mapping', { file, line: 1, col: 1 });
    const site = validateAgainstModeline(data, src, file);
    if (site) sites.set(site.file, site);
    files.push({ file, data: (data ?? {}) as Vars });
    Object.assign(vars, data);
  }
  const sources = { templar: run.templar, inventory: run.inventory, playbookDir: run.playbookDir, extraVars: run.options.extraVars, files };
  for (const site of sites.values()) checkSiteValues(site, sources, play, hosts);
  return vars;
}

function varsFileScope(run: VarsFileContext, play: Play, host: string): VarScope {
  const inventoryDir = run.inventory.file ? dirname(run.inventory.file) : undefined;
  return new VarScope(
    {
      ...play.vars,
      ...inventoryVars(run.inventory, host),
      ...run.options.extraVars,
      inventory_hostname: host,
      playbook_dir: run.playbookDir,
      inventory_dir: inventoryDir,
    },
    run.templar,
  );
}
