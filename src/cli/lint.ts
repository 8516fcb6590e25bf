/** `aclreplay lint <aclfile>[#id]...`: shadowed/redundant/contradicted rules, AWS limits, ephemeral-port coverage. */
import type { Command } from 'commander';
import { ExitCode, UsageError } from '../errors.js';
import { FindingCode } from '../acl/lint.js';
import { writeStdout, writeReportFile } from './io.js';
import { formatOption, type OutputFormat } from './options.js';

/** Collect repeated `--param Name=Value` options. */
export function collectParam(v: string, acc: Record<string, string>): Record<string, string> {
  const eq = v.indexOf('=');
  if (eq <= 0) throw new UsageError(`--param expects Name=Value, got '${v}'`);
  return { ...acc, [v.slice(0, eq)]: v.slice(eq + 1) };
}

export function registerLint(program: Command): void {
  program
    .command('lint')
    .description('static checks of ACL files: shadowed, redundant and contradicted rules, AWS rule limits, ephemeral-port coverage')
    .argument('<aclfile...>', 'ACL file (AWS JSON, CloudFormation, terraform show -json, .tf, YAML, ClassBench), optionally file#id')
    .addOption(formatOption(['table', 'json'], 'table'))
    .option('--fail-on <codes>', `exit 3 when a finding with one of these codes appears (comma-separated: ${Object.keys(FindingCode).join(', ')})`)
    .option('--no-aws-limits', 'accept more than 40 rules per direction and family (reported as a finding instead)')
    .option('--param <name=value>', 'CloudFormation parameter or Terraform variable (repeatable)', collectParam, {})
    .option('--html <file>', 'also write a self-contained HTML report')
    .action(async (files: string[], opts: { format: OutputFormat; failOn?: string; awsLimits: boolean; param: Record<string, string>; html?: string }) => {
      const failOn = (opts.failOn ?? '')
        .split(',')
        .map((s) => s.trim().toUpperCase())
        .filter(Boolean);
      for (const c of failOn) if (!(c in FindingCode)) throw new UsageError(`--fail-on: unknown finding code '${c}' (known: ${Object.keys(FindingCode).join(', ')})`);
      const [{ lintAcl }, { loadAcls }, { renderLintJson, renderLintText }] = await Promise.all([import('../acl/lint.js'), import('../acl/load.js'), import('../report/lint.js')]);
      const acls = files.flatMap((f) => loadAcls(f, { params: opts.param, awsLimits: opts.awsLimits }));
      const reports = acls.map((acl) => lintAcl(acl));
      await writeStdout(opts.format === 'json' ? renderLintJson(reports) : renderLintText(reports));
      if (opts.html) {
        const { renderLintHtml } = await import('../report/html.js');
        writeReportFile(opts.html, renderLintHtml(acls, reports));
      }
      if (failOn.length > 0 && reports.some((r) => r.findings.some((f) => failOn.includes(f.code)))) process.exitCode = ExitCode.FAIL_ON;
    });
}
