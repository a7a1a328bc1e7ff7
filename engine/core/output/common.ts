// Pieces every text renderer shares: Ansible's line formats and the recap.
import type { Change, Event, HostStatus, Stats } from './events';

export function banner(title: string, width = 79): string {
  return `\n${title} ${'*'.repeat(Math.max(3, width - title.length - 1))}`;
}

const LABEL: Partial<Record<HostStatus, string>> = { ok: 'ok', changed: 'changed', warning: 'warning', skipped: 'skipping', rescued: 'ok' };

/** `changed: [host] => (item=x)` / `fatal: [host]: FAILED! => {...}` like Ansible prints. */
export function hostLine(e: Extract<Event, { kind: 'host_result' }>): string {
  const target = e.delegatedTo ? `[${e.host} -> ${e.delegatedTo}]` : `[${e.host}]`;
  const item = e.item !== undefined ? ` => (item=${e.item})` : '';
  const json = JSON.stringify(e.result ?? { msg: e.msg });
  if (e.status === 'unreachable') return `fatal: ${target}: UNREACHABLE! => ${json}`;
  if (e.status === 'failed' || e.status === 'ignored') {
    // Ansible's own shapes: `failed: [h] (item=x) => {...}` inside loops, `fatal: [h]: FAILED! => {...}` outside.
    const line = e.item !== undefined ? `failed: ${target} (item=${e.item}) => ${json}` : `fatal: ${target}: FAILED! => ${json}`;
    return e.status === 'ignored' ? `${line}\n...ignoring` : line;
  }
  const detail = e.result ? ` => ${JSON.stringify(e.result)}` : '';
  return `${LABEL[e.status]}: ${target}${item}${detail}`;
}

function recapLines(stats: Record<string, Stats>): string[] {
  const width = Math.max(...Object.keys(stats).map((h) => h.length), 10);
  return Object.entries(stats).map(
    ([host, s]) =>
      `${host.padEnd(width)} : ok=${s.ok}    changed=${s.changed}    unreachable=${s.unreachable}    failed=${s.failed}    skipped=${s.skipped}    rescued=${s.rescued}    ignored=${s.ignored}    warnings=${s.warnings}`,
  );
}

/** `role 3, role 1`: how many tasks of each role changed, in the order they ran. */
function perRole(changes: Change[]): string {
  const counts = new Map<string, number>();
  for (const c of changes) counts.set(c.role ?? '(play)', (counts.get(c.role ?? '(play)') ?? 0) + 1);
  return [...counts].map(([role, n]) => `${role} ${n}`).join(', ');
}

/** The recap: Ansible's lines, and after a dry run what the real run would change, per host and role. */
export function recapText(e: Extract<Event, { kind: 'recap' }>): string {
  const lines = [banner('PLAY RECAP'), ...recapLines(e.stats)];
  if (e.check) {
    const width = Math.max(...Object.keys(e.changes).map((h) => h.length), 10);
    lines.push(banner('WOULD CHANGE (check mode: nothing was changed)'));
    // No ' : ' in these lines: tools that read Ansible's recap lines by it must not mistake them.
    for (const [host, changes] of Object.entries(e.changes))
      lines.push(`${host.padEnd(width)}   ${changes.length ? `${changes.length} task${changes.length === 1 ? '' : 's'}: ${perRole(changes)}` : 'nothing'}`);
  }
  return `${lines.join('\n')}\n`;
}
