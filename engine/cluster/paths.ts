// Where the kit's files are: the project root (playbooks/, roles/, inventory/, vars.yml) and the
// engine's entry point (the lab's fence daemon runs `engine lab fenced` from it). Found from the
// sources or from their build in dist/ alike: the nearest directory above holding package.json.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function projectRoot(dir: string): string {
  if (existsSync(join(dir, 'package.json'))) return dir;
  if (dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  return projectRoot(dirname(dir));
}

export const PROJECT_ROOT = projectRoot(__dirname);
export const ENGINE_ENTRY = join(PROJECT_ROOT, 'engine');
