// Entry point of `ts-node engine ...`: the shipped engine's command line.
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
