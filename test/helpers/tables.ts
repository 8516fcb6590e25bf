/** Connection and client tables as plain records, for assertions (the records the CLI prints). */
import type { ConnectionTable } from '../../src/flow/connections.js';
import type { ClientTable, ClientProfile } from '../../src/flow/clients.js';
import { flowRecord } from '../../src/report/flows.js';
import type { ReplayResult } from '../../src/analyze/replay.js';
import type { DirectionVerdict, Outcome } from '../../src/verdict/outcomes.js';

/** A `flows` record with the protocol number beside the name. */
export interface FlowRecord {
  id: number;
  proto: string;
  protoNumber: number;
  family: 4 | 6;
  client: string;
  clientPort: number | null;
  server: string;
  serverPort: number | null;
  orientation: string;
  portEvidence: string | null;
  state: string;
  packets: number;
  bytes: number;
  firstTs: number;
  lastTs: number;
  clientPackets: number;
  serverPackets: number;
  clientBytes: number;
  serverBytes: number;
  attempt: string;
  synRetransmits: number;
  synAckRetransmits: number;
  icmpType: number | null;
  icmpCode: number | null;
  icmpErrors: number;
  lastIcmpError: { type: number; code: number } | null;
  syn: { ttl: number; window: number; mss: number | null; wscale: number | null; options: string } | null;
}

/** Every row of the table as its `flows` record. */
export function flowRecords(ct: ConnectionTable): FlowRecord[] {
  const out: FlowRecord[] = [];
  for (let i = 0; i < ct.count; i++) out.push({ ...(flowRecord(ct, i) as unknown as FlowRecord), protoNumber: ct.proto[i]! });
  return out;
}

/** Every client of the table as its `clients` record. */
export function clientRecords(t: ClientTable): ClientProfile[] {
  const out: ClientProfile[] = [];
  for (let i = 0; i < t.count; i++) out.push(t.record(i));
  return out;
}

/** One connection under one scenario, as the old object view: the flow record, the outcome, both directions. */
export interface VerdictView {
  connection: FlowRecord;
  outcome: Outcome;
  forward: DirectionVerdict & { code: number };
  return: DirectionVerdict & { code: number };
}

/** Every connection of scenario s of a replay, as records. */
export function verdictViews(r: ReplayResult, s: number): VerdictView[] {
  const flows = flowRecords(r.connections);
  const vt = r.verdicts;
  return flows.map((connection, i) => ({
    connection,
    outcome: vt.outcomeOf(s, i),
    forward: { ...vt.direction(s, i, true), code: vt.forwardCode(s, i) },
    return: { ...vt.direction(s, i, false), code: vt.returnCode(s, i) },
  }));
}
