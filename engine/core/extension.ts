// The one way a layer on top of the core adds to it: its modules, its commands and its inventory
// plugins, registered before the command line is read. The core never names them. Commands and
// plugins load their code when used.
import type { CommandSpec } from './command';
import { registerCommands } from './cli';
import { type InventoryPlugin, registerInventoryPlugin } from './load/inventory-plugins';
import { type ModuleSet, registerModules } from './modules';

export interface Extension {
  modules?: ModuleSet;
  commands?: CommandSpec[];
  /** `plugin: NAME` inventory files: names -> the plugin reading them. */
  inventoryPlugins?: { names: string[]; plugin: InventoryPlugin }[];
}

export function register(extension: Extension): void {
  if (extension.modules) registerModules(extension.modules);
  registerCommands(extension.commands ?? []);
  for (const { names, plugin } of extension.inventoryPlugins ?? []) registerInventoryPlugin(names, plugin);
}
