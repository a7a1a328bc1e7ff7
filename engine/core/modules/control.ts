// Controller-side modules that only look at variables: assert, fail, debug, set_fact, pause.
import type { Module } from './types';

export const assert: Module<{ that: string | string[]; fail_msg?: string; msg?: string; success_msg?: string; quiet?: boolean; warn_only?: boolean }> = {
  name: 'assert',
  controllerOnly: true,
  freeForm: 'kv',
  schema: {
    type: 'object',
    description: 'Fails the host when any of the conditions is false.',
    properties: {
      that: { type: ['string', 'array'], items: { type: 'string' }, description: 'Jinja2 conditions, all of which must hold.' },
      fail_msg: { type: 'string', description: 'Message when a condition is false (alias msg).' },
      msg: { type: 'string', description: 'Alias of fail_msg.' },
      success_msg: { type: 'string', description: 'Message when all hold.' },
      quiet: { type: 'boolean', description: 'Print less.' },
      warn_only: {
        type: 'boolean',
        description: 'A false condition is a warning (its own status, counted in the recap), not a failure: for findings a site may waive. Not in Ansible.',
      },
    },
    required: ['that'],
    additionalProperties: false,
  },
  plan(args, _found, ctx) {
    const conditions = Array.isArray(args.that) ? args.that : [args.that];
    const failedOn = conditions.find((c) => !ctx.evaluate(String(c)));
    if (failedOn === undefined) return { changed: false, msg: args.success_msg ?? 'all assertions passed' };
    const msg = args.fail_msg ?? args.msg ?? `assertion failed: ${failedOn}`;
    if (args.warn_only) return { changed: false, msg, result: { assertion: failedOn, warnings: [msg] } };
    return { changed: false, failed: true, msg, result: { assertion: failedOn } };
  },
};

export const fail: Module<{ msg?: unknown }> = {
  name: 'fail',
  controllerOnly: true,
  freeForm: 'kv',
  schema: {
    type: 'object',
    description: 'Fails the host with a message.',
    properties: { msg: { description: 'The message (any value: a list or mapping is registered as it is, as Ansible does).' } },
    additionalProperties: false,
  },
  plan: (args) => {
    const msg = args.msg ?? 'Failed as requested from task';
    if (typeof msg === 'string') return { changed: false, failed: true, msg };
    return { changed: false, failed: true, msg: JSON.stringify(msg), result: { msg } };
  },
};

export const debug: Module<{ msg?: unknown; var?: string; verbosity?: number }> = {
  name: 'debug',
  controllerOnly: true,
  freeForm: 'kv',
  showsResult: true,
  schema: {
    type: 'object',
    description: 'Prints a message or the value of a variable.',
    properties: {
      msg: { description: 'Message (any value).' },
      var: { type: 'string', description: 'Variable name or expression to print.' },
      verbosity: { type: 'integer', description: 'Only print at this -v level or above.' },
    },
    additionalProperties: false,
  },
  plan(args, _found, ctx) {
    if (args.var !== undefined) {
      const value = ctx.expression(args.var);
      return { changed: false, msg: `${args.var} = ${JSON.stringify(value)}`, result: { [args.var]: value } };
    }
    const msg = args.msg === undefined ? 'Hello world!' : args.msg;
    // The message registers as the value it is (a list stays a list), as Ansible's debug.
    return { changed: false, msg: typeof msg === 'string' ? msg : JSON.stringify(msg), result: { msg } };
  },
};

export const set_fact: Module<Record<string, unknown>> = {
  name: 'set_fact',
  controllerOnly: true,
  freeForm: 'kv',
  schema: {
    type: 'object',
    description: 'Sets host variables (facts) for the rest of the run.',
    properties: { cacheable: { type: 'boolean', description: 'Accepted for compatibility; facts are not cached between runs.' } },
    additionalProperties: true,
  },
  plan(args, _found, ctx) {
    const { cacheable: _ignored, ...given } = args;
    // As Ansible's set_fact: a name may be templated, and a string that reads as a boolean
    // becomes one (`a=yes`, `a: "true"`).
    const facts = Object.fromEntries(
      Object.entries(given).map(([k, v]) => [
        k.includes('{{') ? ctx.renderText(k) : k,
        typeof v === 'string' && /^(true|false|yes|no)$/i.test(v) ? /^(true|yes)$/i.test(v) : v,
      ]),
    );
    return { changed: false, msg: `set ${Object.keys(facts).join(', ')}`, facts, result: { ansible_facts: facts } };
  },
};

export const pause: Module<{ seconds?: number; minutes?: number; prompt?: string }> = {
  name: 'pause',
  controllerOnly: true,
  freeForm: 'kv',
  schema: {
    type: 'object',
    description: 'Waits a number of seconds or minutes (prompts are not interactive: they are printed and the run goes on).',
    properties: {
      seconds: { type: 'number', description: 'Seconds to wait.' },
      minutes: { type: 'number', description: 'Minutes to wait.' },
      prompt: { type: 'string', description: 'Text to print.' },
    },
    additionalProperties: false,
  },
  async probe(args) {
    const ms = ((args.minutes ?? 0) * 60 + (args.seconds ?? 0)) * 1000;
    // Waiting is harmless, so it happens in check mode too: later tasks see the same timing.
    await new Promise((resolve) => setTimeout(resolve, ms));
    return ms;
  },
  plan: (args, ms: number) => ({ changed: false, msg: args.prompt ?? `paused ${ms / 1000}s`, result: { delta: ms / 1000 } }),
};
