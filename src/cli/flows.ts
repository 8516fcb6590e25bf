/** `aclreplay flows <traffic...>`: one record per connection: client, server, ports, orientation, conn_state, counters. */
import type { Command } from 'commander';
import { renderFlows } from '../report/flows.js';
import { writeStdout } from './io.js';
import { withTrafficOptions, analyzeTraffic, type TrafficOpts } from './traffic.js';
import { queued, withQueueOptions, type QueueOpts } from './queue.js';

export function registerFlows(program: Command): void {
  withQueueOptions(withTrafficOptions(program.command('flows').description('one record per connection: client, server, ephemeral port, orientation rule, Zeek conn_state'))).action(async (traffic: string[], opts: TrafficOpts & QueueOpts, cmd: Command) => {
    await queued('flows', cmd, traffic, opts, async () => {
      const a = await analyzeTraffic(traffic, opts);
      await writeStdout(renderFlows(a.summary, a.connections, opts.format, a.unplaced));
    });
  });
}
