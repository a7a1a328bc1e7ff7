// Writes the JSON Schema files from the module registry (`engine schema --write`) into
// engine/schema/, where editors find them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../paths';
import { buildInventorySchema, buildPlaybookSchema, buildTasksSchema } from './build';

export function schemaFiles(): Record<string, string> {
  const text = (o: unknown) => `${JSON.stringify(o, null, 2)}\n`;
  return {
    'tasks.schema.json': text(buildTasksSchema()),
    'playbook.schema.json': text(buildPlaybookSchema()),
    'inventory.schema.json': text(buildInventorySchema()),
  };
}

export function writeSchemas(dir = join(PROJECT_ROOT, 'engine/schema')): string[] {
  return Object.entries(schemaFiles()).map(([name, content]) => {
    writeFileSync(join(dir, name), content);
    return join(dir, name);
  });
}
