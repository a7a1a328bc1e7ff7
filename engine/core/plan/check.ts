// Static checks a playbook must pass before anything runs: notify names that reach no handler.
import { InputError, suggestion } from '../errors';
import type { Play } from '../load/types';
import { flatten } from './tags';

export function checkHandlers(play: Play): void {
  const known = new Set(play.handlers.flatMap((h) => [h.name, ...h.listen]));
  const all = flatten([...play.preTasks, ...play.tasks, ...play.postTasks, ...play.handlers]);
  for (const task of all) {
    for (const name of task.notify) {
      if (name.includes('{{') || known.has(name)) continue;
      throw new InputError(`notify '${name}' matches no handler of play '${play.name}'${suggestion(name, known)}`, task.pos, 'notify');
    }
  }
}
