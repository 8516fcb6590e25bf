#!/usr/bin/env node
/** aclreplay command line: one subcommand per file; errors become one line on stderr and a documented exit code. */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { AclReplayError, ExitCode } from '../errors.js';
import { writingStdout } from './io.js';
import { queueClosed } from './via.js';
import { escapeForTerminal } from '../text/terminal.js';
import { applyV8Tuning } from '../tuning.js';
import { registerInfo } from './info.js';
import { registerFlows } from './flows.js';
import { registerClients } from './clients.js';
import { registerDiagnose } from './diagnose.js';
import { registerReplay } from './replay.js';
import { registerDiff } from './diff.js';
import { registerLint } from './lint.js';
import { registerBench } from './bench.js';
import { registerSuggest } from './suggest.js';
import { registerPlan } from './plan.js';
import { registerWork } from './work.js';
import { registerMerge } from './merge.js';
import { registerWorker } from './worker.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('aclreplay')
    .description('Replay recorded traffic (pcap/pcapng) against candidate stateless ACLs such as AWS network ACLs')
    .version('0.1.0')
    .exitOverride()
    // Usage errors are one line like every other error: "aclreplay: unknown option '--x' (run with --help for usage)",
    // with control characters from the command line shown as escapes.
    .configureOutput({
      writeErr: (s) => process.stderr.write(escapeForTerminal(s, { keepNewlines: true })),
      outputError: (s, write) => write(`aclreplay: ${s.trim().replace(/^error: /, '').replace(/\s*\n\s*/g, ' ')} (run with --help for usage)\n`),
    });
  registerInfo(program);
  registerFlows(program);
  registerClients(program);
  registerDiagnose(program);
  registerReplay(program);
  registerDiff(program);
  registerLint(program);
  registerBench(program);
  registerSuggest(program);
  registerPlan(program, buildProgram);
  registerWork(program, buildProgram);
  registerMerge(program, buildProgram);
  registerWorker(program, buildProgram);
  for (const c of program.commands) c.exitOverride();
  return program;
}

/** Run the CLI with `argv` (node, script, ...args); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? ExitCode.OK : Number(process.exitCode);
  } catch (err) {
    return reportError(err);
  }
}

function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.OK;
    return ExitCode.USAGE; // commander already printed the message
  }
  if (err instanceof AclReplayError) {
    process.stderr.write(`aclreplay: ${escapeForTerminal(err.message)}\n`);
    return err.exitCode;
  }
  const e = err as Error;
  process.stderr.write(`aclreplay: internal error: ${escapeForTerminal(String(e?.message ?? err))} (please report this with the command line)\n`);
  if (process.env.ACLREPLAY_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
  return ExitCode.INTERNAL;
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  applyV8Tuning();
  // A reader that closes the pipe early must not turn a late write into an unhandled 'error' event.
  // (While writeStdout runs, its own listener reports the error; this one only catches what comes later.)
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || writingStdout()) return;
    process.stderr.write(`aclreplay: <stdout>: ${escapeForTerminal(err.message)}\n`);
    process.exitCode ??= ExitCode.IO;
  });
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
      // Output is flushed by now (writeStdout waits for it); a queue run leaves a library timer behind.
      if (queueClosed()) setImmediate(() => process.exit(code));
    },
    (err) => {
      process.stderr.write(`aclreplay: internal error: ${escapeForTerminal(String((err as Error)?.message ?? err))}\n`);
      process.exitCode = ExitCode.INTERNAL;
    },
  );
}
