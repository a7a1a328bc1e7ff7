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
        return this.write(`${banner(`PLAY [${e.name}]`)}\n`);
      case 'task_start':
        return this.write(`${banner(`${e.handler ? 'RUNNING HANDLER' : 'TASK'} [${e.role ? `${e.role} : ` : ''}${e.name}]`)}\n`);
      case 'host_result':
        this.write(`${hostLine(e)}\n`);
        if (e.diff?.length) this.write(formatDiff(e.diff));
        return;
      case 'warning':
        return this.write(`[WARNING]: ${e.msg}\n`);
      case 'recap':
        return this.write(recapText(e));
    }
  }

  async close(): Promise<void> {}
}
