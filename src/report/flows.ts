/** Renders the connection table as `flows` records: an aligned table, JSON, JSON lines or Zeek-style TSV, streamed from the columns. */
import { layoutText } from '../wire/tcp.js';
import { ATTEMPTS, ConnBit, protoName, type ConnectionTable } from '../flow/connections.js';
import { CONN_STATES } from '../flow/state.js';
import { orientationName, portEvidenceName } from '../flow/orient.js';
import type { CaptureSummary } from '../pass/summary.js';
import type { Format } from './format.js';
import { tsvHeader, isoTime, lineChunks, tableChunks, endpoint } from './text.js';
import { loggedRecord, loggedJson, loggedTsv, LOGGED_TSV_FIELDS, LOGGED_TSV_TYPES } from './logged.js';

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** The SYN's OS evidence of row i, or null. */
function synEvidence(ct: ConnectionTable, i: number): { ttl: number; window: number; mss: number | null; wscale: number | null; options: string } | null {
  if (!(ct.bits[i]! & ConnBit.SYN_SEEN)) return null;
  const info = ct.synOptInfo[i]!;
  return {
    ttl: ct.synTtl[i]!,
    window: ct.synWindow[i]!,
    mss: info >>> 16 || null,
    wscale: ((info >>> 8) & 0xff) === 255 ? null : (info >>> 8) & 0xff,
    options: layoutText(ct.synOptLayout[i]!, info & 0xff),
  };
}

/** Row i as the `flows` record: the contract fields first, then detail (an object only while it is rendered). */
export function flowRecord(ct: ConnectionTable, i: number): Record<string, unknown> {
  const ported = ct.ported(i);
  const icmp = (ct.bits[i]! & ConnBit.ICMP_MESSAGE) !== 0;
  const o = ct.orientation[i]!;
  const errors = ct.icmpErrors[i]!;
  const last = ct.lastIcmpError[i]!;
  return {
    id: i,
    proto: protoName(ct.proto[i]!),
    family: ct.family[i]!,
    client: ct.addresses.text(ct.client[i]!),
    clientPort: ported ? ct.clientPort[i]! : null,
    server: ct.addresses.text(ct.server[i]!),
    serverPort: ported ? ct.serverPort[i]! : null,
    orientation: orientationName(o),
    portEvidence: portEvidenceName(o),
    state: CONN_STATES[ct.state[i]!],
    packets: ct.clientPackets[i]! + ct.serverPackets[i]!,
    bytes: ct.clientBytes[i]! + ct.serverBytes[i]!,
    firstTs: ct.firstTs[i]!,
    lastTs: ct.lastTs[i]!,
    duration: round6(ct.lastTs[i]! - ct.firstTs[i]!),
    clientPackets: ct.clientPackets[i]!,
    serverPackets: ct.serverPackets[i]!,
    clientBytes: ct.clientBytes[i]!,
    serverBytes: ct.serverBytes[i]!,
    attempt: ATTEMPTS[ct.attempt[i]!],
    synRetransmits: ct.synRetransmits[i]!,
    synAckRetransmits: ct.synAckRetransmits[i]!,
    icmpType: icmp ? ct.icmpType[i]! : null,
    icmpCode: icmp ? ct.icmpCode[i]! : null,
    icmpErrors: errors,
    lastIcmpError: errors > 0 ? { type: last >> 8, code: last & 0xff } : null,
    syn: synEvidence(ct, i),
    ...(ct.logs ? { logged: loggedRecord(ct, i) } : {}),
  };
}

export const FLOW_FIELDS = ['firstTs', 'id', 'proto', 'client', 'clientPort', 'server', 'serverPort', 'orientation', 'portEvidence', 'state', 'attempt', 'duration', 'clientPackets', 'serverPackets', 'clientBytes', 'serverBytes', 'synRetransmits', 'icmpType', 'icmpCode', 'icmpErrors'];
const FLOW_TYPES = ['time', 'count', 'string', 'addr', 'port', 'addr', 'port', 'string', 'string', 'string', 'string', 'interval', 'count', 'count', 'count', 'count', 'count', 'count', 'count', 'count'];

/**
 * JSON text of flowRecord(ct, i), written out field by field from the columns: no intermediate object (4x faster
 * than JSON.stringify on the record). Strings here are addresses and enum words, which need no escaping;
 * test/report/flows.test.ts checks equality with JSON.stringify.
 */
export function flowJson(ct: ConnectionTable, i: number): string {
  const ported = ct.ported(i);
  const icmp = (ct.bits[i]! & ConnBit.ICMP_MESSAGE) !== 0;
  const o = ct.orientation[i]!;
  const evidence = portEvidenceName(o);
  const errors = ct.icmpErrors[i]!;
  const last = ct.lastIcmpError[i]!;
  const cp = ct.clientPackets[i]!;
  const sp = ct.serverPackets[i]!;
  const cb = ct.clientBytes[i]!;
  const sb = ct.serverBytes[i]!;
  const first = ct.firstTs[i]!;
  const lastTs = ct.lastTs[i]!;
  let syn = 'null';
  if (ct.bits[i]! & ConnBit.SYN_SEEN) {
    const info = ct.synOptInfo[i]!;
    const ws = (info >>> 8) & 0xff;
    syn = `{"ttl":${ct.synTtl[i]},"window":${ct.synWindow[i]},"mss":${info >>> 16 || null},"wscale":${ws === 255 ? null : ws},"options":"${layoutText(ct.synOptLayout[i]!, info & 0xff)}"}`;
  }
  return (
    `{"id":${i},"proto":"${protoName(ct.proto[i]!)}","family":${ct.family[i]},"client":"${ct.addresses.text(ct.client[i]!)}","clientPort":${ported ? ct.clientPort[i] : null},"server":"${ct.addresses.text(ct.server[i]!)}","serverPort":${ported ? ct.serverPort[i] : null},` +
    `"orientation":"${orientationName(o)}","portEvidence":${evidence === null ? 'null' : `"${evidence}"`},"state":"${CONN_STATES[ct.state[i]!]}","packets":${cp + sp},"bytes":${cb + sb},"firstTs":${first},"lastTs":${lastTs},"duration":${round6(lastTs - first)},` +
    `"clientPackets":${cp},"serverPackets":${sp},"clientBytes":${cb},"serverBytes":${sb},"attempt":"${ATTEMPTS[ct.attempt[i]!]}",` +
    `"synRetransmits":${ct.synRetransmits[i]},"synAckRetransmits":${ct.synAckRetransmits[i]},"icmpType":${icmp ? ct.icmpType[i] : null},"icmpCode":${icmp ? ct.icmpCode[i] : null},"icmpErrors":${errors},"lastIcmpError":${errors > 0 ? `{"type":${last >> 8},"code":${last & 0xff}}` : 'null'},"syn":${syn}${ct.logs ? `,"logged":${loggedJson(ct, i)}` : ''}}`
  );
}

/** One TSV line in FLOW_FIELDS order, written directly from the columns; test/report checks it against tsvLine. */
export function flowTsv(ct: ConnectionTable, i: number): string {
  const ported = ct.ported(i);
  const icmp = (ct.bits[i]! & ConnBit.ICMP_MESSAGE) !== 0;
  const o = ct.orientation[i]!;
  const first = ct.firstTs[i]!;
  return `${first}\t${i}\t${protoName(ct.proto[i]!)}\t${ct.addresses.text(ct.client[i]!)}\t${ported ? ct.clientPort[i] : '-'}\t${ct.addresses.text(ct.server[i]!)}\t${ported ? ct.serverPort[i] : '-'}\t${orientationName(o)}\t${portEvidenceName(o) ?? '-'}\t${CONN_STATES[ct.state[i]!]}\t${ATTEMPTS[ct.attempt[i]!]}\t${round6(ct.lastTs[i]! - first)}\t${ct.clientPackets[i]}\t${ct.serverPackets[i]}\t${ct.clientBytes[i]}\t${ct.serverBytes[i]}\t${ct.synRetransmits[i]}\t${icmp ? ct.icmpType[i] : '-'}\t${icmp ? ct.icmpCode[i] : '-'}\t${ct.icmpErrors[i]}`;
}

/** Packets the connection view could not place: later fragments without a first fragment, ICMP errors quoting no connection. */
export interface Unplaced {
  unmatchedFragments: number;
  unattributedIcmpErrors: number;
}

/** Flows in `format`, streamed in chunks straight from the columns. */
export function* renderFlows(summary: Pick<CaptureSummary, 'file' | 'packets'>, ct: ConnectionTable, format: Format, unplaced: Unplaced = { unmatchedFragments: 0, unattributedIcmpErrors: 0 }): Generator<string> {
  const n = ct.count;
  if (format === 'json') {
    yield `{"file":${JSON.stringify(summary.file)},"packets":${summary.packets},"connections":${n},"unmatchedFragments":${unplaced.unmatchedFragments},"unattributedIcmpErrors":${unplaced.unattributedIcmpErrors},"flows":[`;
    yield* lineChunks(n, (i) => flowJson(ct, i) + (i + 1 < n ? ',' : ''));
    yield ']}\n';
    return;
  }
  if (format === 'jsonl') {
    yield* lineChunks(n, (i) => flowJson(ct, i));
    return;
  }
  if (format === 'tsv') {
    if (ct.logs) {
      yield tsvHeader('flows', [...FLOW_FIELDS, ...LOGGED_TSV_FIELDS], [...FLOW_TYPES, ...LOGGED_TSV_TYPES]);
      yield* lineChunks(n, (i) => `${flowTsv(ct, i)}\t${loggedTsv(ct, i)}`);
      return;
    }
    yield tsvHeader('flows', FLOW_FIELDS, FLOW_TYPES);
    yield* lineChunks(n, (i) => flowTsv(ct, i));
    return;
  }
  yield* tableChunks(['start', 'proto', 'client', 'server', 'orientation', 'state', 'attempt', 'pkts', 'bytes'], n, (i) => {
    const ported = ct.ported(i);
    return [
      isoTime(ct.firstTs[i]!).slice(11, 26),
      protoName(ct.proto[i]!),
      endpoint(ct.addresses.text(ct.client[i]!), ported ? ct.clientPort[i]! : null),
      endpoint(ct.addresses.text(ct.server[i]!), ported ? ct.serverPort[i]! : null),
      orientationName(ct.orientation[i]!),
      CONN_STATES[ct.state[i]!],
      ATTEMPTS[ct.attempt[i]!],
      ct.clientPackets[i]! + ct.serverPackets[i]!,
      ct.clientBytes[i]! + ct.serverBytes[i]!,
    ];
  });
  const extra = [
    unplaced.unmatchedFragments ? `${unplaced.unmatchedFragments} fragments whose first fragment is not in the capture` : '',
    unplaced.unattributedIcmpErrors ? `${unplaced.unattributedIcmpErrors} ICMP errors quoting no connection` : '',
  ].filter(Boolean);
  yield `${n} connections, ${summary.packets} packets${extra.length ? `; ${extra.join(', ')}` : ''}\n`;
}
