// The module registry: the core's modules (builtin.ts) and those a layer on top registers
// (core/extension.ts), under their names and aliases.
import { builtin, builtinAliases } from './builtin';
import type { Module } from './types';

/** A layer's modules and their other names (alias -> module name). */
export interface ModuleSet {
  modules: Module[];
  aliases?: Record<string, string>;
}

const all: Module[] = [];
const registry = new Map<string, Module>();

function add(name: string, module: Module): void {
  if (registry.has(name)) throw new Error(`module name '${name}' registered twice`);
  registry.set(name, module);
}

export function registerModules({ modules, aliases = {} }: ModuleSet): void {
  for (const m of modules) {
    all.push(m);
    add(m.name, m);
  }
  for (const [alias, name] of Object.entries(aliases)) {
    const target = registry.get(name);
    if (!target) throw new Error(`alias '${alias}' for unknown module '${name}'`);
    add(alias, target);
  }
}

registerModules({ modules: builtin, aliases: builtinAliases });

/** Every registered module, once each (the schema is built from these). */
export function allModules(): readonly Module[] {
  return all;
}

export function findModule(name: string): Module | undefined {
  return registry.get(name);
}

export function moduleNames(): string[] {
  return [...registry.keys()];
}
