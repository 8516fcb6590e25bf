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

/** JSON text with every character above 0x7f escaped (\\uXXXX): ASCII, as the byte writers copy it. */
function asciiJson(v: unknown): string {
  return JSON.stringify(v).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** ASCII JSON text of each name (interfaces, subnets, files), made once per table. */
const quoted = new WeakMap<readonly string[], string[]>();
function q(names: readonly string[], id: number): string {
  let list = quoted.get(names);
  if (!list) quoted.set(names, (list = names.map(asciiJson)));
  return list[id] ?? '"-"';
}

function sideJson(logs: LoggedColumns, k: number): string {
  const f = logs.firstFile[k]!;
  const first = f < 0 ? 'null' : `${q(logs.files, f).slice(0, -1)}:${logs.firstLine[k]}"`;
  const known = (logs.bits[k >> 1]! & LoggedBit.TCP_FLAGS_KNOWN) !== 0 && logs.records[k]! > 0;
  const fd = FLOW_DIRS[logs.flowDirs[k]! & 3]!;
  return `{"records":${logs.records[k]},"action":"${SIDE_ACTIONS[logs.action(k)]}","rejectedRecords":${logs.rejectRecords[k]},"rejectedPackets":${logs.rejectPackets[k]},"firstRecord":${first},"tcpFlags":${known ? logs.tcpFlags[k] : 'null'},"flowDirection":${fd === null ? 'null' : `"${fd}"`}}`;
}

/**
 * JSON text of loggedRecord(ct, i), written from the columns (the flows writer's `logged`): no intermediate object,
 * names quoted once per table, ASCII only (test/flowlogs/table.test.ts checks it against the record).
 */
export function loggedJson(ct: ConnectionTable, i: number): string {
  const logs = ct.logs!;
  if (logs.bits[i]! & (LoggedBit.CLIENT_TRANSLATED | LoggedBit.SERVER_TRANSLATED)) return asciiJson(loggedRecord(ct, i));
  const first = logs.firstSide(i);
  const sub = logs.subnet[i]!;
  const record = first < 0 ? 'null' : `${q(logs.files, logs.firstFile[first]!).slice(0, -1)}:${logs.firstLine[first]}"`;
  return `{"interface":${q(logs.interfaces, logs.iface[i]!)},"subnet":${sub < 0 ? 'null' : q(logs.subnets, sub)},"record":${record},"client":${sideJson(logs, 2 * i)},"server":${sideJson(logs, 2 * i + 1)},"addresses":null}`;
}

/** TSV columns added to `flows -F tsv` for logged traffic, and row i's values. */
export const LOGGED_TSV_FIELDS = ['interface', 'record', 'clientAction', 'serverAction'];
/** Their Zeek types. */
export const LOGGED_TSV_TYPES = ['string', 'string', 'string', 'string'];
/** Row i's values of LOGGED_TSV_FIELDS, tab-separated. */
export function loggedTsv(ct: ConnectionTable, i: number): string {
  const logs = ct.logs!;
  const first = logs.firstSide(i);
  return `${logs.interfaces[logs.iface[i]!] ?? '-'}\t${first < 0 ? '-' : logs.where(first)}\t${SIDE_ACTIONS[logs.action(2 * i)]}\t${SIDE_ACTIONS[logs.action(2 * i + 1)]}`;
}
