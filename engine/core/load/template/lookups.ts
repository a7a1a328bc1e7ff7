// lookup() / query(): Ansible's lookups the engine has, all read on the controller.
import { globRegExp } from '../../glob';

export function lookup(kind: string, args: string[]): unknown {
  const { readFileSync, readdirSync, existsSync } = require('node:fs') as typeof import('node:fs');
  if (kind === 'env') return process.env[args[0]] ?? '';
  if (kind === 'file') return readFileSync(args[0], 'utf8').replace(/\n$/, '');
  if (kind === 'fileglob') {
    // Files (on the controller) whose name matches a * / ? pattern in one directory, sorted.
    const path = require('node:path') as typeof import('node:path');
    const [dir, pattern] = [path.dirname(args[0]), path.basename(args[0])];
    const re = globRegExp(pattern);
    return existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => re.test(f))
          .sort()
          .map((f) => path.join(dir, f))
      : [];
  }
  if (kind === 'pipe') throw new Error('lookup("pipe") is not supported: run a task with register instead');
  throw new Error(`lookup('${kind}') is not supported (env, file, fileglob)`);
}
