/** `aclreplay info <capture>`: format, sections, interfaces, counts, time span, decoded layers, problems. */
import type { Command } from 'commander';
import { summarizeCapture } from '../pass/summary.js';
import { renderInfoJson, renderInfoText } from '../report/info.js';
import { writeStdout } from './io.js';
import { formatOption, jobsOption, type Format } from './options.js';
import { withDecapOptions, decapPassOptions, type DecapOpts } from './decap.js';

export function registerInfo(program: Command): void {
  withDecapOptions(program.command('info'))
    .description('describe a capture: format, interfaces, link types, counts, time span, decoded layers, problems')
    .argument('<capture>', 'pcap or pcapng file (gzip allowed), or - for stdin')
    .addOption(formatOption(['table', 'json'], 'table'))
    .addOption(jobsOption())
    .action(async (capture: string, opts: { format: Format; jobs?: number } & DecapOpts) => {
      const summary = await summarizeCapture(capture, { jobs: opts.jobs, ...decapPassOptions(opts) });
      await writeStdout(opts.format === 'json' ? renderInfoJson(summary) : renderInfoText(summary));
    });
}
