// The live view on a terminal: listr2 shows play → task → per-host state while hosts run;
// diffs, failures and the recap are printed in Ansible's format once each task settles.
import { banner, hostLine, recapText } from './common';
import { formatDiff } from './diff';
import type { Event, HostStatus, Reporter } from './events';

const SYMBOL: Record<HostStatus, string> = { ok: 'ok', changed: 'changed', skipped: 'skipped', warning: 'warning', failed: 'FAILED', unreachable: 'UNREACHABLE', ignored: 'failed (ignored)', rescued: 'rescued' };

export class TtyReporter implements Reporter {
  private pending: string[] = [];
  private prefix = '';

  emit(e: Event): void {
    switch (e.kind) {
      case 'play_start':
        return void process.stdout.write(`${banner(`PLAY [${e.name}]`)}\n`);
      case 'task_start':
        this.prefix = `${e.handler ? 'handler: ' : ''}${e.role ? `${e.role} : ` : ''}`;
        return;
      case 'host_result':
        if (e.diff?.length) this.pending.push(`${hostLine(e)}\n${formatDiff(e.diff)}`);
        else if (['failed', 'unreachable', 'ignored', 'warning'].includes(e.status) || e.result) this.pending.push(hostLine(e));
        return;
      case 'warning':
        return void process.stdout.write(`[WARNING]: ${e.msg}\n`);
      case 'recap':
        return void process.stdout.write(recapText(e));
      default:
        return;
    }
  }

  async task(name: string, hosts: string[], run: (host: string) => Promise<HostStatus | undefined>, forks: number): Promise<void> {
    const { Listr } = await import('listr2');
    const list = new Listr(
      [
        {
          title: `${this.prefix}${name}`,
          task: (_ctx, task) =>
            task.newListr(
              hosts.map((host) => ({
                title: host,
                task: async (_c: unknown, sub: { title: string }) => {
                  const status = await run(host);
                  sub.title = `${host}: ${status ? SYMBOL[status] : 'not run'}`;
                  // Throwing marks the host ✖ in the tree; exitOnError: false keeps the others going.
                  if (status === 'failed' || status === 'unreachable') throw new Error(sub.title);
                },
              })),
              { concurrent: forks, exitOnError: false, rendererOptions: { collapseSubtasks: false } },
            ),
        },
      ],
      { renderer: 'default', exitOnError: false, rendererOptions: { collapseSubtasks: false, collapseErrors: true } },
    );
    await list.run();
    if (this.pending.length) process.stdout.write(`${this.pending.join('\n')}\n`);
    this.pending = [];
  }

  async close(): Promise<void> {}
}
