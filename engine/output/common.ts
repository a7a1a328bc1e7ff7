// Pieces every text renderer shares: Ansible's line formats, the recap, and a forks limiter.
import type { Stats } from '../run/state';
import type { Event, HostStatus } from './events';

export function banner(title: string, width = 79): string {
  return `\n${title} ${'*'.repeat(Math.max(3, width - title.length - 1))}`;
}

const LABEL: Partial<Record<HostStatus, string>> = { ok: 'ok', changed: 'changed', skipped: 'skipping', rescued: 'ok' };

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

export function recapLines(stats: Record<string, Stats>): string[] {
  const width = Math.max(...Object.keys(stats).map((h) => h.length), 10);
  return Object.entries(stats).map(
    ([host, s]) => `${host.padEnd(width)} : ok=${s.ok}    changed=${s.changed}    unreachable=${s.unreachable}    failed=${s.failed}    skipped=${s.skipped}    rescued=${s.rescued}    ignored=${s.ignored}`,
  );
}

export async function runLimited(hosts: string[], forks: number, run: (host: string) => Promise<unknown>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(forks, hosts.length)) }, async () => {
    while (next < hosts.length) await run(hosts[next++]);
  });
  await Promise.all(workers);
}
