// Plain text in Ansible's format, for CI logs and pipes (no TTY).
import { banner, hostLine, recapText } from './common';
import { formatDiff } from './diff';
import type { Event, Reporter } from './events';

export class PlainReporter implements Reporter {
  constructor(private readonly write: (text: string) => void = (t) => process.stdout.write(t)) {}

  emit(e: Event): void {
    switch (e.kind) {
      case 'playbook_start':
        if (e.check) this.write('(check mode: nothing will be changed)\n');
        return;
      case 'play_start':
        this.write(`${banner(`PLAY [${e.name}]`)}\n`);
        return;
      case 'task_start':
        this.write(`${banner(`${e.handler ? 'RUNNING HANDLER' : 'TASK'} [${e.role ? `${e.role} : ` : ''}${e.name}]`)}\n`);
        return;
      case 'host_result':
        this.write(`${hostLine(e)}\n`);
        if (e.diff?.length) this.write(formatDiff(e.diff));
        return;
      case 'warning':
        this.write(`[WARNING]: ${e.msg}\n`);
        return;
      case 'recap':
        this.write(recapText(e));
        return;
    }
  }

  async close(): Promise<void> {}
}
