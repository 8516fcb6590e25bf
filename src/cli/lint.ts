/** `aclreplay lint <aclfile>[#id]...`: shadowed/redundant/contradicted rules, AWS limits, ephemeral-port coverage. */
import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import { FindingCode } from '../acl/lint.js';
import { parseAclSpec } from '../acl/spec.js';
import { checkReportPath, writeStdout, writeReportFile } from './io.js';
import { formatOption, failOnOption, collectParam, type Format } from './options.js';

export function registerLint(program: Command): void {
  program
    .command('lint')
    .description('static checks of ACL files: shadowed, redundant and contradicted rules, AWS rule limits, ephemeral-port coverage')
    .argument('<aclfile...>', 'ACL file (AWS JSON, CloudFormation, terraform show -json, .tf, YAML, ClassBench), optionally file#id')
    .addOption(formatOption(['table', 'json'], 'table'))
    .addOption(failOnOption(`exit 3 when a finding with one of these codes appears (comma-separated: ${Object.keys(FindingCode).join(', ')})`, Object.keys(FindingCode), 'finding code'))
    .option('--no-aws-limits', 'accept more than 40 rules per direction and family (reported as a finding instead)')
    .option('--param <name=value>', 'CloudFormation parameter or Terraform variable (repeatable)', collectParam, {})
    .option('--html <file>', 'also write a self-contained HTML report')
    .action(async (files: string[], opts: { format: Format; failOn?: Set<string>; awsLimits: boolean; param: Record<string, string>; html?: string }) => {
      checkReportPath('--html', opts.html, files.map((f) => parseAclSpec(f).file));
      const [{ lintAcl }, { loadAcls }, { renderLintJson, renderLintText }] = await Promise.all([import('../analyze/lint.js'), import('../acl/load.js'), import('../report/lint.js')]);
      const acls = files.flatMap((f) => loadAcls(f, { params: opts.param, awsLimits: opts.awsLimits }));
      const reports = acls.map((acl) => lintAcl(acl));
      await writeStdout(opts.format === 'json' ? renderLintJson(reports) : renderLintText(reports));
      if (opts.html) {
        const [{ renderLintHtml }, { lintView }] = await Promise.all([import('../report/html.js'), import('../analyze/views.js')]);
        writeReportFile(opts.html, renderLintHtml(lintView(acls, reports)));
      }
      const failOn = opts.failOn ?? new Set<string>();
      if (reports.some((r) => r.findings.some((f) => failOn.has(f.code)))) process.exitCode = ExitCode.FAIL_ON;
    });
}
