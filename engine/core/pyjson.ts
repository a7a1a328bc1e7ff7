// Python's json.dumps, as Ansible's to_json/to_nice_json and its copy action write JSON.
/** A string as Python's json.dumps writes it (ensure_ascii: every non-ASCII character escaped). */
function pythonJsonString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => (c === '\u007f' ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

/**
 * Python's json.dumps, as Ansible's to_json and to_nice_json call it: `, ` and `: ` between items
 * (`,` before a newline when indented), keys sorted on request. Text written with these filters is
 * then byte-identical with what Ansible writes.
 */
export function pythonJson(value: unknown, options: { indent?: number; sortKeys?: boolean } = {}, level = 0): string {
  const { indent, sortKeys } = options;
  const inner = indent === undefined ? '' : `\n${' '.repeat(indent * (level + 1))}`;
  const outer = indent === undefined ? '' : `\n${' '.repeat(indent * level)}`;
  const sep = indent === undefined ? ', ' : ',';
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return pythonJsonString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : value > 0 ? 'Infinity' : value < 0 ? '-Infinity' : 'NaN';
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length ? `[${inner}${value.map((v) => pythonJson(v, options, level + 1)).join(sep + inner)}${outer}]` : '[]';
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (sortKeys) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (!entries.length) return '{}';
    return `{${inner}${entries.map(([k, v]) => `${pythonJsonString(k)}: ${pythonJson(v, options, level + 1)}`).join(sep + inner)}${outer}}`;
  }
  return pythonJsonString(String(value));
}
