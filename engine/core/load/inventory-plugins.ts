// Inventory plugins (`plugin: NAME` in an inventory file) a layer on top registers
// (core/extension.ts): each builds Ansible's YAML inventory shape from its configuration.
import type { YamlSource } from './yaml';

export type InventoryPlugin = (config: Record<string, unknown>, src: YamlSource) => Promise<Record<string, unknown>>;

const plugins = new Map<string, InventoryPlugin>();

export function registerInventoryPlugin(names: string[], plugin: InventoryPlugin): void {
  for (const name of names) {
    if (plugins.has(name)) throw new Error(`inventory plugin '${name}' registered twice`);
    plugins.set(name, plugin);
  }
}

export function inventoryPlugin(name: string): InventoryPlugin | undefined {
  return plugins.get(name);
}

export function inventoryPluginNames(): string[] {
  return [...plugins.keys()];
}
