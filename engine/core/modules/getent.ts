// getent: a name service database (passwd, group, hosts, services ...) as facts getent_<database>,
// each entry's key to its other fields, as Ansible's getent. Read-only: in check mode too.
import { argvToShell } from '../connection/quote';
import { type Module, Query } from './types';

interface GetentArgs {
  database: string;
  key?: string;
  service?: string;
  split?: string;
  fail_key?: boolean;
}

interface GetentFound {
  rc: number;
  stdout: string;
}

/** Databases whose fields are colon-separated; the others split on whitespace, as Python's split(). */
const COLON_SEPARATED = ['passwd', 'shadow', 'group', 'gshadow'];

/** getent's exit statuses, in Ansible's words. */
const FAILURES: Record<number, string> = {
  1: 'Missing arguments, or database unknown.',
  2: 'One or more supplied key could not be found in the database.',
  3: 'Enumeration not supported on this database.',
};

function splitRecord(line: string, separator: string | undefined): string[] {
  return separator === undefined ? line.trim().split(/\s+/) : line.split(separator);
}

/** Entries by their first field; a key met more than once holds the list of its records. Pure. */
export function getentEntries(stdout: string, separator: string | undefined): Record<string, unknown> {
  const entries: Record<string, unknown> = {};
  const seen = new Map<string, number>();
  for (const line of stdout.split('\n').filter((l) => l !== '')) {
    const [key, ...fields] = splitRecord(line, separator);
    const times = seen.get(key) ?? 0;
    if (times === 0) entries[key] = fields;
    else if (times === 1) entries[key] = [entries[key], fields];
    else (entries[key] as unknown[]).push(fields);
    seen.set(key, times + 1);
  }
  return entries;
}

export const getent: Module<GetentArgs, GetentFound> = {
  name: 'getent',
  freeForm: 'kv',
  schema: {
    type: 'object',
    description: "Reads a getent(1) database into the fact getent_<database>: each entry's first field to its other fields.",
    properties: {
      database: { type: 'string', description: 'passwd, group, hosts, services, ... (any getent knows).' },
      key: { type: 'string', description: 'One entry to look up (default: all of them).' },
      service: { type: 'string', description: 'The NSS service to ask (getent -s), e.g. files.' },
      split: { type: 'string', description: "The field separator (default ':' for passwd, shadow, group and gshadow, else whitespace)." },
      fail_key: { type: 'boolean', description: 'A key not found fails the task (default true); false gives it the value null.' },
    },
    required: ['database'],
    additionalProperties: false,
  },
  probe: (args) => {
    const argv = ['getent', args.database, ...(args.key === undefined ? [] : [args.key]), ...(args.service === undefined ? [] : ['-s', args.service])];
    return new Query(argvToShell(argv), (res) => ({ rc: res.rc, stdout: res.stdout }), { what: `getent ${args.database}`, anyStatus: true });
  },
  plan(args, found) {
    const fact = `getent_${args.database}`;
    const separator = args.split ?? (COLON_SEPARATED.includes(args.database) ? ':' : undefined);
    if (found.rc === 0) {
      const facts = { [fact]: getentEntries(found.stdout, separator) };
      return { changed: false, msg: '', result: { ansible_facts: facts } };
    }
    const msg = FAILURES[found.rc] ?? 'Unexpected failure!';
    if (found.rc === 2 && args.fail_key === false && args.key !== undefined) {
      const facts = { [fact]: { [args.key]: null } };
      return { changed: false, msg, result: { ansible_facts: facts } };
    }
    return { changed: false, failed: true, msg };
  },
};
