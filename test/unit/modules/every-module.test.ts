// Every module the engine ships (core and cluster kit) has its plan tested on fixture states here:
// a module added without such tests fails this.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import '../../../engine/shipped';
import { allModules } from '../../../engine/core/modules';

it('every registered module has a describe block of plan tests in test/unit/modules', () => {
  const titles = readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.ts'))
    .flatMap((f) => [...readFileSync(join(__dirname, f), 'utf8').matchAll(/^describe\('([^']+)'/gm)].map((m) => m[1]));
  const named = new Set(titles.flatMap((t) => t.split(/[ ,]+/)));
  const names = allModules().map((m) => m.name);
  expect(names.length).toBeGreaterThan(25);
  expect(names.filter((n) => !named.has(n))).toEqual([]);
});
