// Writes the JSON Schema files from the module registry (`engine schema --write`) into
// engine/schema/, where editors find them.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildInventorySchema, buildPlaybookSchema, buildTasksSchema } from './build';

export function schemaFiles(): Record<string, string> {
  const text = (o: unknown) => `${JSON.stringify(o, null, 2)}\n`;
  return {
    'tasks.schema.json': text(buildTasksSchema()),
    'playbook.schema.json': text(buildPlaybookSchema()),
    'inventory.schema.json': text(buildInventorySchema()),
  };
}

/** engine/schema/ of the sources, also when this runs from the build in dist/engine/. */
const SCHEMA_DIR = resolve(__dirname, '../../schema').replace(/\/dist\/engine\/schema$/, '/engine/schema');

export function writeSchemas(dir = SCHEMA_DIR): string[] {
  return Object.entries(schemaFiles()).map(([name, content]) => {
    writeFileSync(join(dir, name), content);
    return join(dir, name);
  });
}
