// Entry point of `node engine ...` and `npx ts-node engine ...`. It runs the compiled engine
// (dist/, which `npm ci` builds) when that is newer than every source file, and the TypeScript
// sources otherwise: start-up without the compiler is about a quarter of a second, and an edited
// source is never run from an old build.
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const BUILD_INFO = join(ROOT, 'dist/.tsbuildinfo');

/** The newest modification time of the TypeScript sources under dir. */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function buildIsCurrent() {
  return existsSync(BUILD_INFO) && statSync(BUILD_INFO).mtimeMs >= newestSource(__dirname);
}

if (buildIsCurrent()) {
  require('../dist/engine/main.js');
} else {
  // Under `ts-node engine` the sources load as they are; under plain node, through ts-node.
  if (!process[Symbol.for('ts-node.register.instance')]) require('ts-node').register({ transpileOnly: true, swc: true, project: join(ROOT, 'tsconfig.json') });
  require('./main.ts');
}
