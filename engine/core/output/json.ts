// --json: one JSON event per line on stdout, for machines.
import type { Event, Reporter } from './events';

export class JsonReporter implements Reporter {
  constructor(private readonly write: (text: string) => void = (t) => process.stdout.write(t)) {}

  emit(e: Event): void {
    this.write(`${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`);
  }

  async close(): Promise<void> {}
}
