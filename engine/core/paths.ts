// Where the project is, found from the sources or from their build in dist/ alike: the nearest
// directory above holding package.json.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function projectRoot(dir: string): string {
  if (existsSync(join(dir, 'package.json'))) return dir;
  if (dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  return projectRoot(dirname(dir));
}

export const PROJECT_ROOT = projectRoot(__dirname);
