/** `aclreplay replay`: candidate ACLs judged on recorded traffic, per packet, rule, connection and candidate; the CI gate (--fail-on). */
import { Option, type Command } from 'commander';
import { ExitCode } from '../errors.js';
import { checkReportPath, writeStdout, writeReportFile, warn } from './io.js';
import { formatOption, failOnOption } from './options.js';
import { TRAFFIC_ARGUMENT, TRAFFIC_HELP } from './traffic.js';
import { withAclOptions, replayFromCli, failOnMatch, REPLAY_FAIL_ON, replayInputs, type ReplayOpts } from './candidates.js';
import { queued, withQueueOptions, type QueueOpts } from './queue.js';

export function registerReplay(program: Command): void {
  const cmd = withAclOptions(program.command('replay').description('judge every packet of a capture against candidate ACLs: verdicts per packet, rule, connection and candidate, with diagnoses'))
    .argument(TRAFFIC_ARGUMENT, TRAFFIC_HELP)
    .addOption(formatOption(['table', 'json', 'jsonl', 'tsv'], 'table'))
    .addOption(failOnOption('exit 3 when a connection ends in this outcome or a diagnosis has this code', REPLAY_FAIL_ON, 'connection outcome or diagnosis code'))
    .addOption(new Option('--html <file>', 'also write a self-contained HTML report'));
  withQueueOptions(cmd).action(async (traffic: string[], opts: ReplayOpts & QueueOpts, self: Command) => {
    await queued('replay', self, traffic, opts, async () => {
      checkReportPath('--html', opts.html, replayInputs(traffic, opts));
      const r = await replayFromCli(traffic, opts);
      const { renderReplay } = await import('../report/replay.js');
      await writeStdout(renderReplay(r, opts.format));
      if (opts.html) {
        const [{ renderReplayHtml }, { replayView }] = await Promise.all([import('../report/html.js'), import('../analyze/views.js')]);
        writeReportFile(opts.html, renderReplayHtml(replayView(r)));
      }
      const hit = failOnMatch(r, opts.failOn ?? new Set());
      if (hit) {
        warn(`--fail-on matched: ${hit}`);
        process.exitCode = ExitCode.FAIL_ON;
      }
    });
  });
}
