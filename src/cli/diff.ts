/** `aclreplay diff <traffic...> --acl <old> --acl <new>`: connections whose outcome changes between two candidates, grouped by cause. */
import type { Command } from 'commander';
import { OUTCOMES } from '../verdict/outcomes.js';
import { UsageError, ExitCode } from '../errors.js';
import { writeStdout, warn } from './io.js';
import { formatOption, failOnOption } from './options.js';
import { TRAFFIC_ARGUMENT, TRAFFIC_HELP } from './traffic.js';
import { withAclOptions, planInput, replayFromCli, type ReplayOpts } from './candidates.js';

export function registerDiff(program: Command): void {
  withAclOptions(program.command('diff').description('connections whose outcome changes between two candidate ACLs, grouped by cause'))
    .argument(TRAFFIC_ARGUMENT, TRAFFIC_HELP)
    .addOption(formatOption(['table', 'json', 'jsonl'], 'table'))
    .addOption(failOnOption('exit 3 when a connection changes to this outcome', OUTCOMES, 'connection outcome'))
    .action(async (traffic: string[], opts: ReplayOpts) => {
      if (opts.acl.length !== 2 || opts.topology) throw new UsageError('diff takes exactly two --acl candidates: the old one first, then the new one');
      const load = planInput(opts).load;
      const { loadAcls, parseAclSpec } = await import('../acl/load.js');
      for (const spec of opts.acl) {
        const acls = loadAcls(spec, load);
        if (acls.length !== 1) {
          const ids = acls.slice(0, 5).map((a) => a.id).join(', ');
          throw new UsageError(`diff: --acl ${spec} holds ${acls.length} ACLs (${ids}${acls.length > 5 ? ', ...' : ''}): name one as ${parseAclSpec(spec).file}#<id>`);
        }
      }
      const r = await replayFromCli(traffic, opts);
      const [{ diffScenarios }, { renderDiff }] = await Promise.all([import('../analyze/diff.js'), import('../report/diff.js')]);
      const d = diffScenarios(r, 0, 1);
      await writeStdout(renderDiff(d, opts.format));
      const failOn = opts.failOn ?? new Set<string>();
      const hit = d.changes.find((c) => failOn.has(c.to));
      if (hit) {
        warn(`--fail-on matched: ${hit.connections} connection${hit.connections === 1 ? '' : 's'} ${hit.from} -> ${hit.to}`);
        process.exitCode = ExitCode.FAIL_ON;
      }
    });
}
