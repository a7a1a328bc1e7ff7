// The tree's architecture holds: the engine core never imports the PBX cluster kit (the kit
// registers itself through core/extension.ts), and no files or folders import each other in a circle.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cycles, type Graph, importGraph } from '../helpers/imports';

const ROOT = join(__dirname, '../..');
const graph = importGraph(ROOT, 'engine');

/** The graph between folders (engine/core/load, engine/cluster/ops, ...; top files as themselves). */
function folders(files: Graph): Graph {
  const folder = (f: string) => f.split('/').slice(0, 3).join('/').replace(/\.ts$/, '');
  const result: Graph = new Map();
  for (const [from, targets] of files) {
    for (const to of targets) {
      if (folder(from) === folder(to)) continue;
      if (!result.has(folder(from))) result.set(folder(from), new Set());
      result.get(folder(from))!.add(folder(to));
    }
  }
  return result;
}

describe('layers', () => {
  it('reads the imports of every engine file, the dynamic ones too', () => {
    expect(graph.size).toBeGreaterThan(80);
    // A lazy import (`await import('./ops')`) is an edge like a static one.
    expect(graph.get('engine/cluster/index.ts')).toContain('engine/cluster/ops/index.ts');
    expect(graph.get('engine/core/cli.ts')).toContain('engine/core/commands.ts');
  });

  it('the core imports nothing of the kit, nor the entry point', () => {
    const upward = [...graph].flatMap(([from, targets]) =>
      from.startsWith('engine/core/') ? [...targets].filter((t) => !t.startsWith('engine/core/')).map((t) => `${from} -> ${t}`) : [],
    );
    expect(upward).toEqual([]);
  });

  it('no file imports itself through others', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('no folder imports itself through others', () => {
    expect(cycles(folders(graph))).toEqual([]);
  });

  it('the cycle finder finds circles, long ones and self-imports, and nothing else', () => {
    const g: Graph = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a', 'd'])],
      ['d', new Set(['d'])],
      ['e', new Set(['a'])],
    ]);
    expect(cycles(g).sort()).toEqual([['a', 'b', 'c'], ['d']]);
    expect(
      cycles(
        new Map([
          ['x', new Set(['y'])],
          ['y', new Set()],
        ]),
      ),
    ).toEqual([]);
  });
});
