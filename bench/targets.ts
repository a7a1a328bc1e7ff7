// ansible-core's integration targets under ansible-playbook and under the engine, side by side:
// per target the tasks ok and failed with each, whether it ends alike, and what stopped the
// engine where it does not. Prints a Markdown table (docs/compatibility-targets.md carries it).
// Usage: npx ts-node bench/targets.ts [target,target,...]   (default: the compared set)
import { endsAlike, runTarget, type TargetEnd } from '../test/helpers/ansible-targets';
import { COMPARED_TARGETS } from '../test/integration/ansible-targets.list';

const show = (end: TargetEnd) => (end.ok === null ? 'did not load' : `${end.ok} / ${end.failed}`);

async function main(): Promise<void> {
  const chosen = process.argv[2] ? process.argv[2].split(',') : COMPARED_TARGETS;
  const rows: string[] = [];
  let alike = 0;
  for (const target of chosen) {
    const ansible = await runTarget(target, 'ansible');
    const engine = await runTarget(target, 'engine');
    const same = endsAlike(ansible, engine);
    if (same) alike++;
    const why = same ? '' : (engine.why || ansible.why).replace(/\|/g, '\\|');
    rows.push(
      `| ${target} | ${show(ansible)} | ${show(engine)} | ${same ? 'yes' : 'no'} | ${ansible.seconds.toFixed(1)} / ${engine.seconds.toFixed(1)} | ${why} |`,
    );
    process.stderr.write(`${rows.at(-1)}\n`);
  }
  console.log(`ansible-core ${'2.14.17'} targets, ${alike} of ${chosen.length} end alike (${((100 * alike) / chosen.length).toFixed(0)} %)\n`);
  console.log('| target | Ansible ok / failed | engine ok / failed | alike | seconds (Ansible / engine) | engine stopped on |');
  console.log('|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
