// Runs the CLI given as argv[2] in this process and writes its peak RSS (KiB) to fd 3 on exit: a child's peak
// memory without /usr/bin/time (process.resourceUsage() of the process that ran the command).
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const cli = process.argv[2];
process.argv.splice(1, 2, cli);
process.on('exit', () => {
  try {
    writeSync(3, `${process.resourceUsage().maxRSS}\n`);
  } catch {
    // fd 3 not open: nobody asked
  }
});
await import(pathToFileURL(cli).href);
