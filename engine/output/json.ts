// --json: one JSON event per line on stdout, for machines.
import { runLimited } from './common';
import type { Event, Reporter } from './events';

export class JsonReporter implements Reporter {
  constructor(private readonly write: (text: string) => void = (t) => process.stdout.write(t)) {}

  emit(e: Event): void {
    this.write(`${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`);
  }

  task(_name: string, hosts: string[], run: (host: string) => Promise<unknown>, forks: number): Promise<void> {
    return runLimited(hosts, forks, run);
  }

  async close(): Promise<void> {}
}
