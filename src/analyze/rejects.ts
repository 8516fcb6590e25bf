/**
 * REJECT records explained with the deployed ACL (`diagnose --acl current.json` on flow logs). A record's action says
 * only that "the traffic was not allowed by the security groups or network ACLs" (flow-log-records, action); replaying
 * the deployed network ACL on it tells which: a REJECT the ACL reproduces is attributed to the rule that denies it
 * (`network-acl`); one the ACL allows, or never sees (it crosses none of the ACL's subnet boundaries: "network ACLs
 * ... control traffic at the subnet level"), is `not-network-acl` (a security group, the host, or something else).
 * Every record of one side of a connection meets the same verdict (src/flowlogs/judge.ts), so sides are counted.
 */
import type { ConnectionTable } from '../flow/connections.js';
import { FlowDirSeen } from '../flow/logged.js';
import type { VerdictTable } from '../verdict/outcomes.js';

/** One `rejectExplanations` entry (`diagnose -F json` on flow logs; field names are the CLI contract). */
export interface RejectExplanation {
  interface: string;
  /** As the ACL sees it; for a record the ACL never sees, the record's flow-direction (ingress: inbound), or null. */
  direction: 'inbound' | 'outbound' | null;
  acl: string;
  /** The deciding rule: the one that denies (network-acl) or allows (not-network-acl); null when the ACL does not see the record. */
  rule: number | '*' | null;
  records: number;
  packets: number;
  bytes: number;
  cause: 'network-acl' | 'not-network-acl';
  /** Connections (sides) whose REJECT records are in this entry. */
  connections: number;
  /** Why, in a sentence. */
  reason: string;
  /** The first record of up to five of them, as file:line. */
  examples: string[];
}

interface Acc {
  scenario: number;
  iface: number;
  code: number;
  dirCode: number;
  records: number;
  packets: number;
  bytes: number;
  connections: number;
  examples: string[];
}

/** The REJECT records of the table explained by scenario s of the replay (its ACL as deployed). */
export function explainRejects(ct: ConnectionTable, vt: VerdictTable, s: number, scenarioName: string): RejectExplanation[] {
  const logs = ct.logs;
  if (!logs) return [];
  // (deciding code, direction when not seen) -> (interface -> accumulator); a handful of entries, numeric keys.
  const groups = new Map<number, Map<number, Acc>>();
  const list: Acc[] = [];
  for (let row = 0; row < ct.count; row++) {
    for (let side = 0; side < 2; side++) {
      const k = 2 * row + side;
      const rejected = logs.rejectRecords[k]!;
      if (rejected === 0) continue;
      const code = side === 0 ? vt.forwardCode(s, row) : vt.returnCode(s, row);
      const fd = logs.flowDirs[k]!;
      const dirCode = code !== 0 ? 0 : fd === FlowDirSeen.INGRESS ? 1 : fd === FlowDirSeen.EGRESS ? 2 : 3;
      const key = code * 4 + dirCode;
      let byIface = groups.get(key);
      if (!byIface) groups.set(key, (byIface = new Map()));
      const iface = logs.iface[row]!;
      let a = byIface.get(iface);
      if (!a) {
        a = { scenario: s, iface, code, dirCode, records: 0, packets: 0, bytes: 0, connections: 0, examples: [] };
        byIface.set(iface, a);
        list.push(a);
      }
      a.records += rejected;
      a.packets += logs.rejectPackets[k]!;
      a.bytes += logs.rejectBytes[k]!;
      a.connections++;
      if (a.examples.length < 5) a.examples.push(logs.where(k)!);
    }
  }
  return list
    .map((a) => {
      const d = vt.decider(a.code);
      const denied = a.code < 0;
      const direction = a.code !== 0 ? d.direction : a.dirCode === 1 ? 'inbound' : a.dirCode === 2 ? 'outbound' : null;
      const dir = direction === 'outbound' ? 'egress' : 'ingress';
      const rule = d.rule;
      const ruleText = rule === '*' ? `the default deny (*) on ${dir}` : rule === null ? `no ${dir} rule (denied)` : `${dir} rule ${rule}`;
      const reason = denied
        ? `${ruleText} of ${d.acl} denies these records: the network ACL rejected them`
        : a.code > 0
          ? `${dir} rule ${rule} of ${d.acl} allows these records: something other than the network ACL rejected them (a security group, the host, ...)`
          : `these records cross none of the subnet boundaries ${scenarioName} guards, so no network ACL saw them: something else rejected them (a security group, the host, ...)`;
      return {
        interface: logs.interfaces[a.iface] ?? '-',
        direction,
        acl: d.acl ?? scenarioName,
        rule,
        records: a.records,
        packets: a.packets,
        bytes: a.bytes,
        cause: denied ? ('network-acl' as const) : ('not-network-acl' as const),
        connections: a.connections,
        reason,
        examples: a.examples,
      };
    })
    .sort((x, y) => y.records - x.records || (x.interface < y.interface ? -1 : x.interface > y.interface ? 1 : 0));
}
