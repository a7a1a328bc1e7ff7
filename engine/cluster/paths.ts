// Where the kit's files are: the project root (playbooks/, roles/, inventory/, vars.yml) and the
// engine's entry point (the lab's fence daemon runs `engine lab fenced` from it).
import { join } from 'node:path';
import { PROJECT_ROOT } from '../core/paths';

export { PROJECT_ROOT };
export const ENGINE_ENTRY = join(PROJECT_ROOT, 'engine');
