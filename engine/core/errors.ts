// Errors a person can act on: every input error names file:line:col and the field.

/** Process exit codes, the same numbers Ansible uses so existing CI checks keep working. */
export const EXIT = {
  ok: 0,
  internal: 1,
  hostFailed: 2,
  hostUnreachable: 4,
  badInput: 5,
  interrupted: 130,
} as const;

export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

function formatPos(pos?: SourcePos): string {
  return pos ? `${pos.file}:${pos.line}:${pos.col}` : '<unknown>';
}

/** Bad playbook, inventory, vars or CLI flags. Printed without a stack trace. */
export class InputError extends Error {
  constructor(
    message: string,
    readonly pos?: SourcePos,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'InputError';
  }

  describe(): string {
    const where = this.pos ? `${formatPos(this.pos)}: ` : '';
    const field = this.field ? `field '${this.field}': ` : '';
    return `${where}${field}${this.message}`;
  }
}

/** Levenshtein distance, used to suggest the nearest known name for a typo. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

function nearest(name: string, known: Iterable<string>, max = 3): string[] {
  const short = name.replace(/^ansible\.builtin\./, '');
  return [...known]
    .map((k) => ({ k, d: editDistance(short, k) }))
    .filter(({ d }) => d <= Math.max(2, Math.floor(short.length / 3)))
    .sort((x, y) => x.d - y.d)
    .slice(0, max)
    .map(({ k }) => k);
}

export function suggestion(name: string, known: Iterable<string>): string {
  const near = nearest(name, known);
  return near.length ? ` (did you mean ${near.map((n) => `'${n}'`).join(', ')}?)` : '';
}

/**
 * A lookup plugin's refusal, in Ansible's words: a `with_<lookup>` loop fails its task with
 * exactly this message, as Ansible's does (a template wraps it in Ansible's lookup error text).
 */
export class LookupError extends Error {
  override name = 'LookupError';

  /** The Python exception Ansible's plugin raises: its template error names it. */
  constructor(
    message: string,
    readonly pythonClass = 'ansible.errors.AnsibleError',
  ) {
    super(message);
  }
}
