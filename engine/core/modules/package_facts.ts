// package_facts: the installed packages as the fact `packages` (name -> list of versions), read
// from dpkg or rpm, as Ansible's package_facts. Read-only.
import { type Module, Query } from './types';

interface PackageFactsArgs {
  manager?: string | string[];
  strategy?: 'first' | 'all';
}

interface Listing {
  manager: string;
  lines: string[];
}

/** One query per manager, in a tab-separated format of the fields Ansible's facts carry. */
const LISTINGS: Record<string, { present: string; list: string }> = {
  apt: { present: 'dpkg-query', list: "dpkg-query -W -f='${db:Status-Status}\\t${Package}\\t${Version}\\t${Architecture}\\t${Section}\\n'" },
  rpm: { present: 'rpm', list: "rpm -qa --queryformat '%{NAME}\\t%{VERSION}\\t%{RELEASE}\\t%{EPOCH}\\t%{ARCH}\\n'" },
};

function managersOf(args: PackageFactsArgs): string[] {
  const asked = [args.manager ?? 'auto'].flat();
  return asked.includes('auto') ? Object.keys(LISTINGS) : asked;
}

function listingScript(managers: string[], strategy: string): string {
  return (
    managers
      .map((m) => `if command -v ${LISTINGS[m].present} >/dev/null 2>&1; then echo '@${m}'; ${LISTINGS[m].list}${strategy === 'first' ? '; exit 0' : ''}; fi`)
      .join('\n') || 'true'
  );
}

function parseListings(stdout: string): Listing[] {
  const listings: Listing[] = [];
  for (const line of stdout.split('\n').filter(Boolean)) {
    if (line.startsWith('@')) listings.push({ manager: line.slice(1), lines: [] });
    else listings.at(-1)?.lines.push(line);
  }
  return listings;
}

/** A package's facts as Ansible's backend for its manager gives them. */
function entry(manager: string, fields: string[]): Record<string, unknown> | undefined {
  if (manager === 'apt') {
    const [status, name, version, arch, category] = fields;
    // dpkg also lists removed packages whose configuration stays: only installed ones count.
    return status === 'installed' ? { name, version, arch, category, source: 'apt' } : undefined;
  }
  const [name, version, release, epoch, arch] = fields;
  return { name, version, release, epoch: epoch === '(none)' ? null : Number(epoch), arch, source: 'rpm' };
}

/** The `packages` fact: each name to the list of its installed instances. Pure. */
export function packagesFact(listings: Listing[]): Record<string, Record<string, unknown>[]> {
  const packages: Record<string, Record<string, unknown>[]> = {};
  for (const { manager, lines } of listings) {
    for (const line of lines) {
      const pkg = entry(manager, line.split('\t'));
      if (!pkg) continue;
      const name = pkg.name as string;
      packages[name] = [...(packages[name] ?? []), pkg];
    }
  }
  return packages;
}

export const package_facts: Module<PackageFactsArgs, Listing[]> = {
  name: 'package_facts',
  freeForm: 'kv',
  schema: {
    type: 'object',
    description: 'Sets the fact `packages`: every installed package name to the list of its versions (name, version, arch, source ...), from dpkg or rpm.',
    properties: {
      manager: { type: ['string', 'array'], items: { enum: ['auto', 'apt', 'rpm'] }, description: 'auto (default), apt or rpm.' },
      strategy: { enum: ['first', 'all'], description: 'first (default): the first manager found; all: every one.' },
    },
    additionalProperties: false,
  },
  probe: (args) => {
    const known = managersOf(args).filter((m) => m in LISTINGS);
    return new Query(listingScript(known, args.strategy ?? 'first'), (res) => parseListings(res.stdout), { what: 'listing packages' });
  },
  plan(args, listings) {
    const unknown = managersOf(args).filter((m) => !(m in LISTINGS));
    if (unknown.length) return { changed: false, failed: true, msg: `Unsupported package manager: ${unknown.join(', ')} (apt and rpm are)` };
    if (!listings.length)
      return { changed: false, failed: true, msg: `Could not detect a supported package manager from the following list: ${managersOf(args).join(', ')}` };
    const facts = { packages: packagesFact(listings) };
    return { changed: false, msg: '', result: { ansible_facts: facts } };
  },
};
