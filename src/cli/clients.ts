/** `aclreplay clients <traffic...>`: per client host, the ephemeral ports seen and the inferred OS port-range profile. */
import type { Command } from 'commander';
import { inferClients } from '../flow/clients.js';
import { renderClients } from '../report/clients.js';
import { writeStdout } from './io.js';
import { withTrafficOptions, analyzeTraffic, type TrafficOpts } from './traffic.js';

export function registerClients(program: Command): void {
  withTrafficOptions(program.command('clients').description('per client host: ephemeral ports seen and the inferred OS port-range profile')).action(async (traffic: string[], opts: TrafficOpts) => {
    const a = await analyzeTraffic(traffic, opts);
    await writeStdout(renderClients(inferClients(a.connections), opts.format));
  });
}
