// engine/index.js runs the build in dist/ (made by npm ci) when it is current, and the TypeScript
// sources when any source is newer: an edited file never runs from an old build. Observed by a
// module-load spy, with plain node and under ts-node alike.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../helpers/engine';

const SPY = join(tmpdir(), `engine-load-spy-${process.pid}.js`);
writeFileSync(
  SPY,
  `const M = require('module'); const seen = new Set(); const load = M._load;
M._load = function (request, parent) { try { seen.add(M._resolveFilename(request, parent)); } catch {} return load.apply(this, arguments); };
process.on('exit', () => process.stderr.write('LOADED ' + [...seen].filter((f) => f.includes('/engine/core/cli')).join(' ') + '\\n'));\n`,
);

const buildInfo = join(ROOT, 'dist/.tsbuildinfo');
/** The newest source's modification time (the launcher's own rule, recomputed here). */
const newestSource = (dir: string): number =>
  Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true }).map((e) =>
      e.isDirectory() ? newestSource(join(dir, e.name)) : e.name.endsWith('.ts') ? statSync(join(dir, e.name)).mtimeMs : 0,
    ),
  );
// After an edit without `npm run build` there is no current build to observe.
const current = existsSync(buildInfo) && statSync(buildInfo).mtimeMs >= newestSource(join(ROOT, 'engine'));

it.skipIf(!current)('runs the build when it is current and the sources once one is newer, with node and under ts-node', () => {
  const run = (runner: 'node' | 'ts-node') => {
    const res = spawnSync(runner === 'node' ? process.execPath : join(ROOT, 'node_modules/.bin/ts-node'), [join(ROOT, 'engine'), '--help'], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: `--require ${SPY}` },
      encoding: 'utf8',
    });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toContain('run');
    return /LOADED (.*)/.exec(res.stderr)?.[1] ?? '';
  };
  expect(run('node')).toMatch(/\/dist\/engine\/core\/cli\.js$/);
  expect(run('ts-node')).toMatch(/\/dist\/engine\/core\/cli\.js$/);
  // One source newer than the build (as right after an edit): both run the sources.
  const source = join(ROOT, 'engine/core/cli.ts');
  const { atime, mtime } = statSync(source);
  const later = new Date(statSync(buildInfo).mtimeMs + 60_000);
  try {
    utimesSync(source, later, later);
    expect(run('node')).toMatch(/\/engine\/core\/cli\.ts$/);
    expect(run('ts-node')).toMatch(/\/engine\/core\/cli\.ts$/);
  } finally {
    utimesSync(source, atime, mtime);
  }
});
