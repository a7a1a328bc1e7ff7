// The shipped engine's command line (engine/index.js runs it, compiled or from source).
import './shipped';
import { main } from './core/cli';

let settled = false;
// A run whose every wait was dropped (a promise nothing will settle) would end with exit 0 and no
// recap: it is an internal error instead.
process.once('exit', () => {
  if (settled || process.exitCode) return;
  process.stderr.write('internal error: the engine stopped while a step was still waiting (nothing left to wake it)\n');
  process.exitCode = 1;
});

main(process.argv.slice(2)).then(
  (code) => {
    settled = true;
    process.exitCode = code;
  },
  (err: Error) => {
    settled = true;
    process.stderr.write(`internal error: ${err.stack ?? err.message}\n`);
    process.exitCode = 1;
  },
);
