// ansible-core on the controller, for what the engine does not implement itself: modules
// (modules/ansible_module.ts) and lookups (load/template/lookups.ts) run through Ansible's own code.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface AnsibleCore {
  /** The controller's Python that has ansible-core (the one ansible-playbook runs with). */
  python: string;
  /** ansible-core's package directory (its modules/ and config/ are read to find names at load). */
  dir: string;
}

let core: AnsibleCore | null | undefined;

/** ansible-core on the controller, found through ansible-playbook on PATH; null when not installed. */
export function ansibleCore(): AnsibleCore | null {
  if (core !== undefined) return core;
  core = null;
  const playbook = (process.env.PATH ?? '')
    .split(delimiter)
    .map((d) => join(d, 'ansible-playbook'))
    .find((p) => existsSync(p));
  if (!playbook) return core;
  const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(readFileSync(playbook, 'utf8').split('\n')[0]);
  if (!shebang) return core;
  // `#!/usr/bin/env python3` names the interpreter in its argument.
  const python = shebang[1].endsWith('/env') && shebang[2] ? shebang[2] : shebang[1];
  try {
    const dir = execFileSync(python, ['-c', 'import ansible, os; print(os.path.dirname(ansible.__file__))'], { encoding: 'utf8' }).trim();
    core = { python, dir };
  } catch {
    // ansible-playbook without a working ansible package: as if not installed.
  }
  return core;
}

/** Where collections live, as Ansible looks for them (ANSIBLE_COLLECTIONS_PATH or its default). */
export function collectionRoots(): string[] {
  const configured = process.env.ANSIBLE_COLLECTIONS_PATH ?? process.env.ANSIBLE_COLLECTIONS_PATHS;
  const roots = configured ? configured.split(':') : [join(homedir(), '.ansible/collections'), '/usr/share/ansible/collections'];
  const site = ansibleCore()?.dir.replace(/\/ansible$/, '');
  return [...roots, ...(site ? [site] : [])];
}

/**
 * Whether Ansible has a lookup plugin of this name (ansible.builtin's, one a bare name redirects
 * to, or an installed collection's), seen at load without starting Python.
 */
export function ansibleHasLookup(name: string): boolean {
  const found = ansibleCore();
  if (!found) return false;
  const parts = name.split('.');
  if (parts.length === 1 || (parts.length === 3 && parts[0] === 'ansible' && parts[1] === 'builtin')) {
    const short = parts[parts.length - 1];
    if (existsSync(join(found.dir, 'plugins/lookup', `${short}.py`))) return true;
    const redirect = builtinRoutes(found.dir).lookup?.[short]?.redirect;
    return parts.length === 1 && redirect !== undefined && ansibleHasLookup(redirect);
  }
  if (parts.length !== 3) return false;
  const [ns, coll, short] = parts;
  return collectionRoots().some((root) => existsSync(join(root, 'ansible_collections', ns, coll, 'plugins/lookup', `${short}.py`)));
}

type Routes = Record<string, Record<string, { redirect?: string }> | undefined>;
let routes: Routes | undefined;

/** ansible-core's redirects of old bare names, by plugin kind (`modprobe` -> community.general.modprobe). */
export function builtinRoutes(dir: string): Routes {
  if (!routes) {
    const { parse } = require('yaml') as typeof import('yaml');
    const file = join(dir, 'config/ansible_builtin_runtime.yml');
    routes = existsSync(file) ? ((parse(readFileSync(file, 'utf8'))?.plugin_routing ?? {}) as Routes) : {};
  }
  return routes;
}
