/**
 * "Will this change break anything we logged?": the traffic a new candidate denies that the old one let through (or
 * never saw), per deciding rule of the new candidate, with counts and example connections. Only directions the
 * traffic has count (no synthetic packet stands in); for flow logs each example names its record (file:line) and
 * the counts include records.
 */
import type { ReplayResult } from './replay.js';
import { protoName } from '../flow/connections.js';
import { ruleOf } from '../verdict/outcomes.js';

/** One rule of the new candidate and what it newly denies (`diff -F json` `newlyDenied`; field names are the CLI contract). */
export interface NewlyDenied {
  acl: string | null;
  direction: 'inbound' | 'outbound' | null;
  rule: number | '*' | null;
  /** The rule's address family (IPv4 and IPv6 default denies are two rules). */
  family: 4 | 6 | null;
  /** Connection directions (a connection whose both directions are newly denied counts twice). */
  connections: number;
  packets: number;
  bytes: number;
  /** Flow logs: records of those directions; null for a capture. */
  records: number | null;
  examples: { side: 'forward' | 'return'; proto: string; client: string; clientPort: number | null; server: string; serverPort: number | null; packets: number; record: string | null }[];
}

/** What candidate b newly denies compared with candidate a, per rule of b, most packets first. */
export function newlyDenied(r: ReplayResult, a: number, b: number): NewlyDenied[] {
  const ct = r.connections;
  const vt = r.verdicts;
  const logs = ct.logs;
  const groups = new Map<number, NewlyDenied>();
  for (let i = 0; i < ct.count; i++) {
    for (let side = 0; side < 2; side++) {
      const forward = side === 0;
      const packets = forward ? ct.clientPackets[i]! : ct.serverPackets[i]!;
      if (packets === 0) continue;
      const before = forward ? vt.forwardCode(a, i) : vt.returnCode(a, i);
      const after = forward ? vt.forwardCode(b, i) : vt.returnCode(b, i);
      if (after >= 0 || before < 0) continue;
      let g = groups.get(after);
      if (!g) {
        const d = vt.decider(after);
        groups.set(after, (g = { acl: d.acl, direction: d.direction, rule: d.rule, family: ruleOf(r.plan, r.spec, after)?.family ?? null, connections: 0, packets: 0, bytes: 0, records: logs ? 0 : null, examples: [] }));
      }
      g.connections++;
      g.packets += packets;
      g.bytes += forward ? ct.clientBytes[i]! : ct.serverBytes[i]!;
      if (logs) g.records! += logs.records[2 * i + side]!;
      if (g.examples.length < 5) {
        const ported = ct.ported(i);
        g.examples.push({
          side: forward ? 'forward' : 'return',
          proto: protoName(ct.proto[i]!),
          client: ct.addresses.text(ct.client[i]!),
          clientPort: ported ? ct.clientPort[i]! : null,
          server: ct.addresses.text(ct.server[i]!),
          serverPort: ported ? ct.serverPort[i]! : null,
          packets,
          record: logs ? logs.where(2 * i + side) : null,
        });
      }
    }
  }
  return [...groups.values()].sort((x, y) => y.packets - x.packets);
}
