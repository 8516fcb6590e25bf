/**
 * Where a logged connection came from, as `flows` and `replay` records carry it (`logged`): the interface, the first
 * record's file and line (where a packet's offset would stand for a capture), each side's records and action, and
 * which addresses the connection uses when pkt-srcaddr / pkt-dstaddr differ from srcaddr / dstaddr.
 */
import type { ConnectionTable } from '../flow/connections.js';
import { LoggedBit, FlowDirSeen, SIDE_ACTIONS, type LoggedColumns } from '../flow/logged.js';

/** One side of a logged connection (`logged.client` / `logged.server`). */
export interface LoggedSide {
  records: number;
  action: 'ACCEPT' | 'REJECT' | 'mixed' | 'none';
  rejectedRecords: number;
  rejectedPackets: number;
  /** The side's first record, file:line (null: the side was never logged). */
  firstRecord: string | null;
  /** tcp-flags OR-ed over the side's records (null when the format has no tcp-flags). */
  tcpFlags: number | null;
  flowDirection: 'ingress' | 'egress' | 'both' | null;
}

/** The `logged` object of a flows / replay record. */
export interface LoggedRecord {
  interface: string;
  subnet: string | null;
  /** The connection's first record, file:line. */
  record: string | null;
  client: LoggedSide;
  server: LoggedSide;
  /** Set when the connection uses packet-level addresses (pkt-srcaddr / pkt-dstaddr) instead of the ones logged. */
  addresses: { clientLogged: string | null; serverLogged: string | null; varies: boolean; note: string } | null;
}

const FLOW_DIRS = [null, 'ingress', 'egress', 'both'] as const;

function side(logs: LoggedColumns, k: number): LoggedSide {
  const known = (logs.bits[k >> 1]! & LoggedBit.TCP_FLAGS_KNOWN) !== 0;
  return {
    records: logs.records[k]!,
    action: SIDE_ACTIONS[logs.action(k)]!,
    rejectedRecords: logs.rejectRecords[k]!,
    rejectedPackets: logs.rejectPackets[k]!,
    firstRecord: logs.where(k),
    tcpFlags: known && logs.records[k]! > 0 ? logs.tcpFlags[k]! : null,
    flowDirection: FLOW_DIRS[logs.flowDirs[k]! & (FlowDirSeen.INGRESS | FlowDirSeen.EGRESS)]!,
  };
}

/** Why the connection's addresses are not the ones logged, in a sentence. */
export function addressNote(ct: ConnectionTable, i: number): string | null {
  const logs = ct.logs!;
  const bits = logs.bits[i]!;
  if (!(bits & (LoggedBit.CLIENT_TRANSLATED | LoggedBit.SERVER_TRANSLATED))) return null;
  const parts: string[] = [];
  if (bits & LoggedBit.CLIENT_TRANSLATED) parts.push(`the client as ${ct.addresses.text(logs.loggedClient[i]!)}`);
  if (bits & LoggedBit.SERVER_TRANSLATED) parts.push(`the server as ${ct.addresses.text(logs.loggedServer[i]!)}`);
  return `${logs.interfaces[logs.iface[i]!]} logged ${parts.join(' and ')} (srcaddr/dstaddr: the interface's own view, as a NAT gateway, load balancer or transit interface logs traffic it handles for others); the connection uses the packet-level pkt-srcaddr/pkt-dstaddr, the addresses in the packets' headers, which a network ACL judges${bits & LoggedBit.PKT_ADDRS_VARY ? '; its records disagreed on them, the first one is used' : ''}`;
}

/** Row i's `logged` object (an object only while it is rendered). */
export function loggedRecord(ct: ConnectionTable, i: number): LoggedRecord {
  const logs = ct.logs!;
  const bits = logs.bits[i]!;
  const first = logs.firstSide(i);
  const note = addressNote(ct, i);
  const sub = logs.subnet[i]!;
  return {
    interface: logs.interfaces[logs.iface[i]!] ?? '-',
    subnet: sub < 0 ? null : logs.subnets[sub]!,
    record: first < 0 ? null : logs.where(first),
    client: side(logs, 2 * i),
    server: side(logs, 2 * i + 1),
    addresses:
      note === null
        ? null
        : {
            clientLogged: bits & LoggedBit.CLIENT_TRANSLATED ? ct.addresses.text(logs.loggedClient[i]!) : null,
            serverLogged: bits & LoggedBit.SERVER_TRANSLATED ? ct.addresses.text(logs.loggedServer[i]!) : null,
            varies: (bits & LoggedBit.PKT_ADDRS_VARY) !== 0,
            note,
          },
  };
}

/** JSON of loggedRecord(ct, i), for flowJson (test/report/flows.test.ts checks it against JSON.stringify). */
export function loggedJson(ct: ConnectionTable, i: number): string {
  return JSON.stringify(loggedRecord(ct, i));
}

/** TSV columns added to `flows -F tsv` for logged traffic, and row i's values. */
export const LOGGED_TSV_FIELDS = ['interface', 'record', 'clientAction', 'serverAction'];
export const LOGGED_TSV_TYPES = ['string', 'string', 'string', 'string'];
export function loggedTsv(ct: ConnectionTable, i: number): string {
  const logs = ct.logs!;
  const first = logs.firstSide(i);
  return `${logs.interfaces[logs.iface[i]!] ?? '-'}\t${first < 0 ? '-' : logs.where(first)}\t${SIDE_ACTIONS[logs.action(2 * i)]}\t${SIDE_ACTIONS[logs.action(2 * i + 1)]}`;
}
