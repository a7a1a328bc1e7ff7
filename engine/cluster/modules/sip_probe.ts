// sip_probe: is a PBX answering SIP on an address? Sends SIP OPTIONS over UDP from the controller
// until an answer comes (or the timeout), for health checks between upgrade steps. Read-only; in a
// dry run after a change it did not make, one try, and no answer is a predicted wait.
import type { Module } from '../../core/modules/types';
import { waitForSip } from '../sip/options';

interface ProbeArgs {
  host: string;
  port?: number;
  timeout?: number;
}

export const sip_probe: Module<ProbeArgs, { seconds: number; line: string } | undefined> = {
  name: 'sip_probe',
  controllerOnly: true,
  schema: {
    type: 'object',
    description: 'Checks that SIP OPTIONS to host:port gets an answer within timeout seconds (read-only; runs in check mode too).',
    properties: {
      host: { type: 'string', description: 'Address to probe (the VIP).' },
      port: { type: 'integer', description: 'SIP port (default 5060).' },
      timeout: { type: 'integer', description: 'Seconds to keep trying (default 30).' },
    },
    required: ['host'],
    additionalProperties: false,
  },
  probe: (args, ctx) => waitForSip(args.host, () => true, ctx.predict ? 0 : (args.timeout ?? 30) * 1000, Date.now(), args.port ?? 5060),
  plan(args, answer, ctx) {
    if (!answer && ctx.predict)
      return {
        changed: false,
        predicted: true,
        msg: `predicted, not polled: the real run waits up to ${args.timeout ?? 30} s for a SIP answer from ${args.host}:${args.port ?? 5060}`,
      };
    if (!answer) return { changed: false, failed: true, msg: `no SIP answer from ${args.host}:${args.port ?? 5060} within ${args.timeout ?? 30} s` };
    return { changed: false, msg: `${answer.line} after ${answer.seconds.toFixed(2)} s`, result: { status_line: answer.line, seconds: answer.seconds } };
  },
};
