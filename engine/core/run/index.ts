// Runs a whole playbook: plays in order, one connection per host for the run, then the recap.
import { EXIT } from '../errors';
import type { Inventory } from '../load/inventory';
import { Templar } from '../load/template/templar';
import type { Playbook } from '../load/types';
import type { Reporter } from '../output/events';
import { closeAll } from './connect';
import { lockOwner } from './lock';
import { runPlay } from './play';
import type { Stats } from '../output/events';
import type { RunContext, RunOptions } from './state';

export interface RunSummary {
  exitCode: number;
  stats: Record<string, Stats>;
}

export async function runPlaybook(playbook: Playbook, inventory: Inventory, options: RunOptions, reporter: Reporter): Promise<RunSummary> {
  const run: RunContext = {
    options,
    inventory,
    templar: new Templar(),
    reporter,
    hosts: new Map(),
    connections: new Map(),
    playbookDir: playbook.dir,
    lockOwner: lockOwner(playbook.file),
    interrupted: false,
    stopped: false,
    changeEpoch: 0,
    startAtPending: options.startAtTask !== undefined,
  };
  // The controller may be a host too (local connection): a file a lookup wrote is a change.
  run.templar.onControllerWrite = () => run.changeEpoch++;
  const onSigint = () => {
    run.interrupted = true;
    reporter.emit({ kind: 'warning', msg: 'interrupted: no new task starts; waiting for running ones' });
  };
  process.once('SIGINT', onSigint);
  const started = Date.now();
  reporter.emit({ kind: 'playbook_start', file: playbook.file, check: options.check });
  try {
    for (const play of playbook.plays) {
      if (run.interrupted || run.stopped) break;
      await runPlay(run, play);
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
    await closeAll(run);
  }
  const stats = Object.fromEntries([...run.hosts.entries()].map(([h, s]) => [h, s.stats]));
  const changes = Object.fromEntries([...run.hosts.entries()].map(([h, s]) => [h, s.changes]));
  reporter.emit({ kind: 'recap', stats, elapsed: (Date.now() - started) / 1000, check: options.check, changes });
  await reporter.close();
  const all = Object.values(stats);
  const exitCode = run.interrupted
    ? EXIT.interrupted
    : all.some((s) => s.failed)
      ? EXIT.hostFailed
      : all.some((s) => s.unreachable)
        ? EXIT.hostUnreachable
        : EXIT.ok;
  return { exitCode, stats };
}
