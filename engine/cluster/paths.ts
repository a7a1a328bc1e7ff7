// Where the kit's files are: the project root (playbooks/, roles/, inventory/, vars.yml) and the
// engine's entry point (the lab's fence daemon runs `engine lab fenced` from it).
import { resolve } from 'node:path';

export const PROJECT_ROOT = resolve(__dirname, '../..');
export const ENGINE_ENTRY = resolve(__dirname, '..');
