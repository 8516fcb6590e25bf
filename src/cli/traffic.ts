/** What every command that reads traffic takes and does first: the traffic arguments, their options, one read. */
import type { Command } from 'commander';
import { readTraffic, type TrafficAnalysis } from '../analyze/traffic.js';
import { noteCaptureProblems, warn } from './io.js';
import { formatOption, jobsOption, chunkOption, workerThreads, type Format } from './options.js';
import { progressBar } from './progress.js';
import { trafficVia } from './via.js';
import { withDecapOptions, decapPassOptions, noteDuplicates, type DecapOpts } from './decap.js';

export interface TrafficOpts extends DecapOpts {
  format: Format;
  jobs?: number;
  chunkSize?: number;
}

/** The traffic arguments' name and help, for every command that reads traffic. */
export const TRAFFIC_ARGUMENT = '<traffic...>';
export const TRAFFIC_HELP = 'a pcap or pcapng capture (gzip allowed, - for stdin), or VPC flow-log files and directories (text, gzip, Parquet), sniffed from their content';

/** The traffic arguments and the options of reading them; `formats` are the output formats the command offers. */
export function withTrafficOptions(cmd: Command, formats: Format[] = ['table', 'json', 'jsonl', 'tsv']): Command {
  return withDecapOptions(cmd.argument(TRAFFIC_ARGUMENT, TRAFFIC_HELP).addOption(formatOption(formats, 'table')).addOption(jobsOption()).addOption(chunkOption()));
}

/** Read the traffic into its connection table, with a progress bar on a terminal and one stderr line on problems. */
export async function analyzeTraffic(inputs: string[], opts: TrafficOpts): Promise<TrafficAnalysis> {
  const bar = progressBar('reading');
  try {
    const a = await readTraffic(inputs, { jobs: workerThreads(opts.jobs, warn), chunkBytes: opts.chunkSize, onProgress: bar.onProgress, ...decapPassOptions(opts), via: trafficVia() });
    bar.stop();
    noteCaptureProblems(a.summary);
    noteDuplicates(a.summary);
    return a;
  } finally {
    bar.stop();
  }
}
