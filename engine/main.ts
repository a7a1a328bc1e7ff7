// The shipped engine's command line (engine/index.js runs it, compiled or from source).
import './shipped';
import { main } from './core/cli';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    process.stderr.write(`internal error: ${err.stack ?? err.message}\n`);
    process.exitCode = 1;
  },
);
