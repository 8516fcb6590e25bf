/** `aclreplay diagnose <traffic...> [--acl ...]`: failed connections that look like dropped return traffic; with --acl, why the candidates would drop them. */
import { Option, type Command } from 'commander';
import { inferClients } from '../flow/clients.js';
import { captureFindings, CAPTURE_FINDING_CODES } from '../analyze/findings.js';
import { DIAGNOSIS_CODES } from '../analyze/diagnoses/codes.js';
import { renderFindings } from '../report/findings.js';
import { ExitCode } from '../errors.js';
import { checkReportPath, writeStdout, writeReportFile } from './io.js';
import { failOnOption } from './options.js';
import { withTrafficOptions, analyzeTraffic } from './traffic.js';
import { addAclSelection, replayFromCli, replayInputs, type ReplayOpts } from './candidates.js';
import { queued, withQueueOptions, type QueueOpts } from './queue.js';

export function registerDiagnose(program: Command): void {
  const cmd = addAclSelection(withTrafficOptions(program.command('diagnose').description('find failed connections that look like dropped return traffic; with --acl, also why candidate ACLs would drop them')))
    .addOption(failOnOption('exit 3 when a finding or diagnosis has this code', [...CAPTURE_FINDING_CODES, ...DIAGNOSIS_CODES], 'finding or diagnosis code'))
    .addOption(new Option('--html <file>', 'also write a self-contained HTML report (the replay report with --acl)'));
  withQueueOptions(cmd).action(async (traffic: string[], opts: ReplayOpts & QueueOpts, self: Command) =>
    queued('diagnose', self, traffic, opts, async () => {
      checkReportPath('--html', opts.html, replayInputs(traffic, opts));
      const failOn = opts.failOn ?? new Set<string>();
      if (opts.acl.length > 0 || opts.topology) {
        const r = await replayFromCli(traffic, opts);
        const diagnoses = r.report.acls.flatMap((a) => a.diagnoses);
        const rejects = r.report.rejectExplanations;
        await writeStdout(renderFindings(r.report.captureFindings, opts.format, { file: r.report.file, connections: r.report.connections, diagnoses, ...(rejects ? { rejectExplanations: rejects } : {}) }, diagnoses, rejects));
        if (opts.html) {
          const [{ renderReplayHtml }, { replayView }] = await Promise.all([import('../report/html.js'), import('../analyze/views.js')]);
          writeReportFile(opts.html, renderReplayHtml(replayView(r)));
        }
        const hit = [...r.report.captureFindings, ...diagnoses].find((f) => failOn.has(f.code));
        if (hit) process.exitCode = ExitCode.FAIL_ON;
        return;
      }
      const a = await analyzeTraffic(traffic, opts);
      const findings = captureFindings(a.connections);
      await writeStdout(renderFindings(findings, opts.format, { file: a.summary.file, connections: a.connections.count }));
      if (opts.html) writeReportFile(opts.html, (await import('../report/html.js')).renderDiagnoseHtml({ summary: a.summary, connections: a.connections, clients: inferClients(a.connections), findings }));
      if (findings.some((f) => failOn.has(f.code))) process.exitCode = ExitCode.FAIL_ON;
    }),
  );
}
