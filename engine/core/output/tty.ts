// The live view on a terminal: listr2 shows the task that runs (with the hosts it runs on now);
// a finished task becomes one line with its hosts' counts. Diffs, failures, warnings and -v
// results are printed in Ansible's format below that line, so they stay visible.
import { Listr } from 'listr2';
import { banner, hostLine, recapText } from './common';
import { formatDiff } from './diff';
import type { Event, HostStatus, Reporter } from './events';

const ORDER: HostStatus[] = ['ok', 'changed', 'warning', 'skipped', 'rescued', 'ignored', 'failed', 'unreachable'];

/** `ok=2 changed=1 failed=1`: the statuses that occurred, in a fixed order. */
function countsText(counts: Map<HostStatus, number>): string {
  return (
    ORDER.filter((s) => counts.get(s))
      .map((s) => `${s}=${counts.get(s)}`)
      .join(' ') || 'no host ran it'
  );
}

/** One task on screen while it runs. */
class LiveTask {
  readonly counts = new Map<HostStatus, number>();
  readonly running = new Set<string>();
  /** The line as it should read now; listr2 may start the task after the first updates. */
  private line: string;
  private show: (line: string) => void = () => {};
  private finish: () => void = () => {};
  private readonly shown: Promise<void>;

  constructor(private readonly title: string) {
    this.line = title;
    const done = new Promise<void>((resolve) => (this.finish = resolve));
    const list = new Listr(
      [
        {
          title,
          task: async (_ctx, task) => {
            this.show = (line) => (task.title = line);
            this.show(this.line);
            await done;
            // Throwing marks the line ✖; the message is the line itself (collapsed).
            if (this.counts.get('failed') || this.counts.get('unreachable')) throw new Error(task.title);
          },
        },
      ],
      { renderer: 'default', exitOnError: false, rendererOptions: { collapseErrors: true, showErrorMessage: false } },
    );
    this.shown = list.run().then(() => undefined);
  }

  private setLine(line: string): void {
    this.line = line;
    this.show(line);
  }

  update(): void {
    const done = [...this.counts.values()].reduce((a, b) => a + b, 0);
    this.setLine(`${this.title}  [${[...this.running].join(', ')}${done ? `; ${countsText(this.counts)}` : ''}]`);
  }

  async end(): Promise<void> {
    this.setLine(`${this.title}  ${countsText(this.counts)}`);
    this.finish();
    await this.shown;
  }
}

export class TtyReporter implements Reporter {
  private pending: string[] = [];
  private live?: LiveTask;

  emit(e: Event): void | Promise<void> {
    switch (e.kind) {
      case 'play_start':
        return void process.stdout.write(`${banner(`PLAY [${e.name}]`)}\n`);
      case 'task_start':
        this.live = new LiveTask(`${e.handler ? 'handler: ' : ''}${e.role ? `${e.role} : ` : ''}${e.name}`);
        return;
      case 'host_start':
        this.live?.running.add(e.host);
        return this.live?.update();
      case 'host_result':
        if (e.diff?.length) this.pending.push(`${hostLine(e)}\n${formatDiff(e.diff)}`);
        else if (['failed', 'unreachable', 'ignored', 'warning'].includes(e.status) || e.result) this.pending.push(hostLine(e));
        if (!this.live) return this.flush();
        this.live.running.delete(e.host);
        this.live.counts.set(e.status, (this.live.counts.get(e.status) ?? 0) + 1);
        return this.live.update();
      case 'task_end':
        return this.endTask();
      case 'warning':
        this.pending.push(`[WARNING]: ${e.msg}`);
        return this.live ? undefined : this.flush();
      case 'recap':
        return void process.stdout.write(recapText(e));
      default:
        return;
    }
  }

  private async endTask(): Promise<void> {
    await this.live?.end();
    this.live = undefined;
    this.flush();
  }

  private flush(): void {
    if (this.pending.length) process.stdout.write(`${this.pending.join('\n')}\n`);
    this.pending = [];
  }

  async close(): Promise<void> {}
}
