/** What every command that reads traffic takes and does first: the capture argument, its options, one pass. */
import type { Command } from 'commander';
import { analyzeCapture, type CaptureAnalysis } from '../analyze/capture.js';
import { noteCaptureProblems } from './io.js';
import { formatOption, jobsOption, chunkOption, type Format } from './options.js';
import { progressBar } from './progress.js';
import { withDecapOptions, decapPassOptions, noteDuplicates, type DecapOpts } from './decap.js';

export interface TrafficOpts extends DecapOpts {
  format: Format;
  jobs?: number;
  chunkSize?: number;
}

/** The traffic argument and the options of reading it; `formats` are the output formats the command offers. */
export function withTrafficOptions(cmd: Command, formats: Format[] = ['table', 'json', 'jsonl', 'tsv']): Command {
  return withDecapOptions(
    cmd
      .argument('<capture>', 'pcap or pcapng file (gzip allowed), or - for stdin')
      .addOption(formatOption(formats, 'table'))
      .addOption(jobsOption())
      .addOption(chunkOption()),
  );
}

/** Read the traffic into its connection table, with a progress bar on a terminal and one stderr line on problems. */
export async function analyzeTraffic(file: string, opts: TrafficOpts): Promise<CaptureAnalysis> {
  const bar = progressBar('reading');
  try {
    const a = await analyzeCapture(file, { jobs: opts.jobs, chunkBytes: opts.chunkSize, onProgress: bar.onProgress, ...decapPassOptions(opts) });
    bar.stop();
    noteCaptureProblems(a.summary);
    noteDuplicates(a.summary);
    return a;
  } finally {
    bar.stop();
  }
}
