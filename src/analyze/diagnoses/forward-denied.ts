/** FORWARD_DENIED: client-to-server traffic denied, per deciding rule and service. */
import { protoName } from '../../flow/connections.js';
import { isIcmpOrientation } from '../../flow/orient.js';
import { gateInfo, ruleOf } from '../../verdict/outcomes.js';
import { verdictGate } from '../../verdict/evaluator.js';
import { refs } from '../findings.js';
import { KeyIndex } from '../../flow/keyindex.js';
import { groupRows, splitRows } from '../../typed.js';
import { capitalize, ruleWords, type DiagnoseInput, type Diagnosis } from './common.js';

export function forwardDenied(input: DiagnoseInput, s: number): Diagnosis[] {
  const { plan, spec, connections: ct, verdicts: vt } = input;
  // One finding per deciding rule and service port; the servers behind it are listed, not split into findings.
  const keys = new KeyIndex(64);
  const groupOf = new Int32Array(ct.count).fill(-1);
  for (let i = 0; i < ct.count; i++) {
    const code = vt.forwardCode(s, i);
    if (code >= 0 || isIcmpOrientation(ct.orientation[i]!)) continue;
    groupOf[i] = keys.intern(code >>> 0, ct.proto[i]!, ct.ported(i) ? ct.serverPort[i]! : 65536, 0);
  }
  const groups = groupRows(groupOf, keys.count);
  const slots = new Int32Array(ct.addresses.count).fill(-1);
  const serverOf = (i: number) => ct.server[i]!;
  // Largest first; a stable sort keeps equal groups in the order of their first connection.
  return Array.from({ length: groups.count }, (_, g) => groups.rows.subarray(groups.start[g]!, groups.start[g + 1]!))
    .sort((a, b) => b.length - a.length)
    .map((g) => {
      const first = g[0]!;
      const code = vt.forwardCode(s, first);
      const gate = gateInfo(plan, spec, verdictGate(code));
      const rule = ruleOf(plan, spec, code);
      const parts = splitRows(g, serverOf, slots);
      const servers = Array.from({ length: parts.count }, (_, p): [number, number] => [parts.keys[p]!, parts.start[p + 1]! - parts.start[p]!]).sort((a, b) => b[1] - a[1]);
      const protocol = protoName(ct.proto[first]!);
      const serverPort = ct.ported(first) ? ct.serverPort[first]! : null;
      const service = `${protocol}/${serverPort ?? '-'}`;
      const clients = new Set<number>();
      for (const i of g) clients.add(ct.client[i]!);
      return {
        code: 'FORWARD_DENIED' as const,
        severity: 'error' as const,
        scenario: plan.scenarios[s]!.name,
        acl: gate.acl.id,
        direction: gate.direction,
        rule: rule?.ruleNumber ?? null,
        protocol,
        serverPort,
        connections: g.length,
        servers: servers.length,
        topServers: servers.slice(0, 5).map(([server, connections]) => ({ server: ct.addresses.text(server), connections })),
        clients: clients.size,
        message: `${capitalize(ruleWords(gate.direction, rule, gate.acl.id))} denies ${g.length} connection${g.length === 1 ? '' : 's'} to ${service} on ${servers.length === 1 ? ct.addresses.text(servers[0]![0]) : `${servers.length} servers`}`,
        examples: refs(ct, g),
      };
    });
}
