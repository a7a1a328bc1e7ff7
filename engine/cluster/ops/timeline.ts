// A cluster transition as a timeline a person reads at a glance: each event once, with its time
// from the start (the power cut, the switchover request). Events seen in the cluster's state come
// from polling crm_mon on a node that stays; the rest (SIP answered, calls answering) are marked
// by whoever sees them.
import { type ClusterStatus, clusterStatus, type NodeLink } from './cluster';

export interface TimelineEvent {
  event: string;
  seconds: number;
}

/** A condition on the cluster's state: the event's text once it holds, undefined before. */
export type Watch = (status: ClusterStatus) => string | undefined;

export class Timeline {
  readonly events: TimelineEvent[] = [];
  private readonly seen = new Set<Watch>();

  /** When the transition began (epoch ms): the origin of every event's time. */
  started = Date.now();

  begin(event: string): void {
    this.started = Date.now();
    this.mark(event, this.started);
  }

  mark(event: string, at = Date.now()): void {
    this.events.push({ event, seconds: (at - this.started) / 1000 });
    this.events.sort((a, b) => a.seconds - b.seconds);
  }

  /** Polls the cluster through `link` until the returned stop is called; each watch marks once. */
  watch(link: NodeLink, watches: Watch[]): () => Promise<void> {
    let running = true;
    const loop = (async () => {
      while (running && this.seen.size < watches.length) {
        const status = await clusterStatus(link).catch(() => undefined);
        const at = Date.now();
        for (const w of watches.filter((x) => status && !this.seen.has(x))) {
          const event = w(status!);
          if (event === undefined) continue;
          this.seen.add(w);
          this.mark(event, at);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    return async () => {
      running = false;
      await loop;
    };
  }
}
