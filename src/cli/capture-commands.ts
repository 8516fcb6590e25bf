/** `aclreplay flows|clients|diagnose <capture>`: what the traffic is, who the clients are, which connections failed. */
import { Option, type Command } from 'commander';
import { analyzeCapture } from '../replay/analyze.js';
import { inferClients } from '../flow/ports.js';
import { captureFindings, CAPTURE_FINDING_CODES } from '../flow/failures.js';
import { renderFlows, renderClients, renderFindings } from '../report/flows.js';
import { writeStdout, writeReportFile, noteCaptureProblems } from './io.js';
import { formatOption, jobsOption, chunkOption, type OutputFormat } from './options.js';
import { progressBar } from './progress.js';
import { addAclSelection, replayFromCli, FAIL_ON_CODES, type ReplayOpts } from './replay.js';
import { ExitCode, UsageError } from '../errors.js';

interface CaptureOpts {
  format: OutputFormat;
  jobs?: number;
  chunkSize?: number;
  html?: string;
}

async function analyze(capture: string, opts: CaptureOpts) {
  const bar = progressBar('reading');
  try {
    const a = await analyzeCapture(capture, { jobs: opts.jobs, chunkBytes: opts.chunkSize, onProgress: bar.onProgress });
    bar.stop();
    noteCaptureProblems(a.summary);
    return a;
  } finally {
    bar.stop();
  }
}

function withCaptureOptions(cmd: Command): Command {
  return cmd
    .argument('<capture>', 'pcap or pcapng file (gzip allowed), or - for stdin')
    .addOption(formatOption(['table', 'json', 'jsonl', 'tsv'], 'table'))
    .addOption(jobsOption())
    .addOption(chunkOption());
}

export function registerCaptureCommands(program: Command): void {
  withCaptureOptions(program.command('flows').description('one record per connection: client, server, ephemeral port, orientation rule, Zeek conn_state')).action(
    async (capture: string, opts: CaptureOpts) => {
      const a = await analyze(capture, opts);
      await writeStdout(renderFlows(a.summary, a.connections, opts.format, a));
    },
  );
  withCaptureOptions(program.command('clients').description("per client host: ephemeral ports seen and the inferred OS port-range profile")).action(
    async (capture: string, opts: CaptureOpts) => {
      const a = await analyze(capture, opts);
      await writeStdout(renderClients(inferClients(a.connections), opts.format));
    },
  );
  addAclSelection(withCaptureOptions(program.command('diagnose').description('find failed connections that look like dropped return traffic; with --acl, also why candidate ACLs would drop them')))
    .option('--fail-on <code,...>', 'exit 3 when a finding or diagnosis has this code')
    .addOption(new Option('--html <file>', 'also write a self-contained HTML report (the replay report with --acl)'))
    .action(async (capture: string, opts: CaptureOpts & ReplayOpts) => {
      const failOn = new Set<string>();
      const codes: string[] = [...CAPTURE_FINDING_CODES, ...FAIL_ON_CODES];
      for (const t of (opts.failOn ?? '').split(',').map((x) => x.trim()).filter(Boolean)) {
        if (!codes.includes(t)) throw new UsageError(`--fail-on: '${t}' is not a finding or diagnosis code (${codes.join(', ')})`);
        failOn.add(t);
      }
      if (opts.acl.length > 0 || opts.topology) {
        const r = await replayFromCli(capture, opts);
        const diagnoses = r.report.acls.flatMap((a) => a.diagnoses);
        await writeStdout(renderFindings(r.report.captureFindings, opts.format, { file: r.report.file, connections: r.report.connections, diagnoses }, diagnoses));
        if (opts.html) writeReportFile(opts.html, (await import('../report/html.js')).renderHtmlReport(r));
        const hit = [...r.report.captureFindings, ...diagnoses].find((f) => failOn.has(f.code));
        if (hit) process.exitCode = ExitCode.FAIL_ON;
        return;
      }
      const a = await analyze(capture, opts);
      const findings = captureFindings(a.connections);
      await writeStdout(renderFindings(findings, opts.format, { file: a.summary.file, connections: a.connections.length }));
      if (opts.html) writeReportFile(opts.html, (await import('../report/html.js')).renderDiagnoseHtml({ summary: a.summary, connections: a.connections, clients: inferClients(a.connections), findings }));
      if (findings.some((f) => failOn.has(f.code))) process.exitCode = ExitCode.FAIL_ON;
    });
}
