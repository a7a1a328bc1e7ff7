// ansible-playbook's --list-hosts and --list-tasks: what a run would touch, from the loaded
// playbook and inventory alone (nothing connects), in ansible-playbook's layout.
import type { Inventory } from '../load/inventory';
import { pythonStr } from '../load/template/pyrepr';
import type { Playbook, Task } from '../load/types';
import { playHosts } from './patterns';
import { flatten, type Selection, selectTasks } from './tags';

const tagList = (tags: string[]) => `TAGS: [${[...new Set(tags)].sort().join(', ')}]`;

/** A task as ansible-playbook lists it: `role : name`, then its tags (inherited ones too). */
function taskLine(task: Task): string {
  return `      ${task.role ? `${task.role.name} : ` : ''}${task.name}\t${tagList(task.tags)}`;
}

/** The listing of every play: its hosts (with --limit) and/or its tasks (with the tag and role selection). */
export function listPlaybook(
  shownAs: string,
  playbook: Playbook,
  inventory: Inventory,
  sel: Selection & { limit?: string },
  show: { hosts: boolean; tasks: boolean },
): string {
  const lines = ['', `playbook: ${shownAs}`];
  for (const [i, play] of playbook.plays.entries()) {
    const pattern = [play.hosts].flat().map(String);
    lines.push('', `  play #${i + 1} (${pattern.join(',')}): ${play.name}\t${tagList(play.tags)}`);
    if (show.hosts) {
      const hosts = playHosts(inventory, play, sel.limit);
      lines.push(`    pattern: ${pythonStr(pattern)}`, `    hosts (${hosts.length}):`, ...hosts.map((h) => `      ${h}`));
    }
    if (show.tasks) lines.push('    tasks:', ...flatten(selectTasks([...play.preTasks, ...play.tasks, ...play.postTasks], sel)).map(taskLine));
  }
  return `${lines.join('\n')}\n`;
}
