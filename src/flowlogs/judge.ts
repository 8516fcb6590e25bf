/**
 * Logged traffic judged by the candidate ACLs: the flow-log source's decoder. A network ACL is stateless and its rules
 * match protocol, CIDR and destination port only (AWS VPC user guide, "Network ACL rules"), so every record of one
 * side of a connection (same interface, same 5-tuple) meets the same verdict: one packet per side, written into
 * a PacketBatch (by the probe module, src/verdict/probe.ts, the one writer of packets outside the decoder) and
 * weighted by the side's packets in every count, is exactly every record judged with its packets.
 *
 * What the packet carries: the connection's addresses (packet-level where pkt-* differ, src/flowlogs/table.ts),
 * protocol and ports; tcpFlags the side's logged tcp-flags OR-ed (their bits are the TCP header's: FIN 1, SYN 2,
 * RST 4, ACK 16), which only ClassBench rules with a flags field read; ICMP, whose type and code flow logs do not
 * carry, as an echo request from the client and an echo reply from the server (as synthetic packets are).
 */
import { PacketBatch } from '../decode/batch.js';
import { clientSideOf } from '../flow/orient.js';
import type { ConnectionTable } from '../flow/connections.js';
import { Evaluator } from '../verdict/evaluator.js';
import { writeLoggedPacket } from '../verdict/probe.js';
import { SegmentVerdicts, type PassVerdicts } from '../verdict/counters.js';
import type { ReplaySpec } from '../verdict/spec.js';

const ROWS = 4096;
/** SegmentVerdicts counts in 32 bits: a side with more packets counts as this many (the verdict is unchanged). */
const MAX_COUNT = 0xffffffff;

/**
 * Judge every logged side of the table's connections in every scenario of `spec`: verdict counters per connection
 * and key direction, rule hits and not-applicable packets, all weighted by the side's packets. Sides without
 * records are left to VerdictTable's synthetic packets, as for captures.
 */
export function judgeLoggedTraffic(spec: ReplaySpec, ct: ConnectionTable): PassVerdicts {
  const logs = ct.logs;
  if (!logs) throw new Error('judgeLoggedTraffic: the table has no logged columns');
  const S = spec.scenarios.length;
  const segs = new SegmentVerdicts(S, Math.max(1, ct.count));
  const batch = new PacketBatch(ROWS);
  const weights = new Float64Array(ROWS);
  const sides = new Int32Array(ROWS);
  const ev = new Evaluator(spec, ROWS);
  let n = 0;
  const flush = (): void => {
    if (n === 0) return;
    batch.length = n;
    ev.evaluate(batch, weights);
    for (let i = 0; i < n; i++) {
      const k = sides[i]!;
      const row = k >> 1;
      const cs = clientSideOf(ct.orientation[row]!);
      const keyDir = (k & 1) === 0 ? cs : 1 - cs;
      const count = Math.min(MAX_COUNT, weights[i]!);
      for (let s = 0; s < S; s++) segs.add((row * S + s) * 2 + keyDir, ev.verdicts[s * ROWS + i]!, count);
    }
    n = 0;
  };
  for (let row = 0; row < ct.count; row++) {
    for (let side = 0; side < 2; side++) {
      const k = 2 * row + side;
      if (logs.records[k] === 0) continue;
      writeLoggedPacket(batch, n, ct, row, side === 0, logs.tcpFlags[k]!);
      weights[n] = side === 0 ? ct.clientPackets[row]! : ct.serverPackets[row]!;
      sides[n++] = k;
      if (n === ROWS) flush();
    }
  }
  flush();
  return { verdicts: segs, ruleHits: ev.ruleHits.map((h) => h.slice()), packetsNotApplicable: ev.notApplicable.slice(), unknownFragments: new Float64Array(S) };
}
