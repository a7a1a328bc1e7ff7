// A lab per test file, in its own directory; labs left behind by an interrupted run are taken
// down through their own pid files first (the lab's names are fixed: one lab at a time).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engine } from './engine';

export function newLabDir(): string {
  return mkdtempSync(join(tmpdir(), 'pbx-lab-test-'));
}

export async function takeDownStaleLabs(current: string): Promise<void> {
  for (const old of readdirSync(tmpdir()).filter((d) => d.startsWith('pbx-lab-test-')).map((d) => join(tmpdir(), d))) {
    if (old === current) continue;
    await engine(['lab', 'down'], { PBX_LAB_DIR: old });
    rmSync(old, { recursive: true, force: true });
  }
}
