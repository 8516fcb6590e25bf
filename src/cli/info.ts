/** `aclreplay info <traffic...>`: a capture's format, sections, interfaces, counts, time span, decoded layers and problems; flow logs' files, records, time span, coverage gaps and problems. */
import type { Command } from 'commander';
import { summarizeCapture } from '../pass/summary.js';
import { trafficKindOf } from '../analyze/traffic.js';
import { renderInfoJson, renderInfoText } from '../report/info.js';
import { writeStdout, warn } from './io.js';
import { formatOption, jobsOption, chunkOption, workerThreads, type Format } from './options.js';
import { TRAFFIC_ARGUMENT, TRAFFIC_HELP } from './traffic.js';
import { trafficVia } from './via.js';
import { withDecapOptions, decapPassOptions, type DecapOpts } from './decap.js';

export function registerInfo(program: Command): void {
  withDecapOptions(program.command('info'))
    .description('describe traffic: a capture (format, interfaces, link types, counts, time span, decoded layers, problems) or flow logs (files, records, time span, coverage gaps, problems)')
    .argument(TRAFFIC_ARGUMENT, TRAFFIC_HELP)
    .addOption(formatOption(['table', 'json'], 'table'))
    .addOption(jobsOption())
    .addOption(chunkOption())
    .action(async (traffic: string[], opts: { format: Format; jobs?: number; chunkSize?: number } & DecapOpts) => {
      if (trafficKindOf(traffic) === 'flow-logs') {
        const [{ readFlowLogTraffic }, { renderFlowLogInfoJson, renderFlowLogInfoText }] = await Promise.all([import('../flowlogs/source.js'), import('../report/flowlog-info.js')]);
        const { summary } = await (trafficVia()?.flowLogs ?? readFlowLogTraffic)(traffic, {});
        await writeStdout(opts.format === 'json' ? renderFlowLogInfoJson(summary) : renderFlowLogInfoText(summary));
        return;
      }
      const summary = await summarizeCapture(traffic[0]!, { jobs: workerThreads(opts.jobs, warn), chunkBytes: opts.chunkSize, ...decapPassOptions(opts), runner: trafficVia()?.pass });
      await writeStdout(opts.format === 'json' ? renderInfoJson(summary) : renderInfoText(summary));
    });
}
