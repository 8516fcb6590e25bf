/** Renders the connection table as `flows` records: an aligned table, JSON, JSON lines or Zeek-style TSV, streamed from the columns. */
import { layoutText } from '../wire/tcp.js';
import { ATTEMPTS, ConnBit, protoName, type ConnectionTable } from '../flow/connections.js';
import { SESSIONS_PER_FLOW, SESSIONS_MORE } from '../flow/table.js';
import { CONN_STATES } from '../flow/state.js';
import { orientationName, portEvidenceName } from '../flow/orient.js';
import type { CaptureSummary } from '../pass/summary.js';
import type { Format } from './format.js';
import { tsvHeader, isoTime, tableChunks, endpoint } from './text.js';
import { ascii, ByteOutput } from './bytes.js';
import { loggedRecord, loggedJson, loggedTsv, LOGGED_TSV_FIELDS, LOGGED_TSV_TYPES } from './logged.js';
import { jsonText } from '../text/json.js';
import { mirrorFields } from './sessions.js';

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
    ...mirrorFields(ct, i),
    ...(ct.logs ? { logged: loggedRecord(ct, i) } : {}),
  };
}

/** FLOW_FIELDS, and `mirrorSessions` when the capture had tunnels. */
export function flowFields(ct: ConnectionTable): { fields: string[]; types: string[] } {
  return ct.mirrorSessions === null ? { fields: FLOW_FIELDS, types: FLOW_TYPES } : { fields: [...FLOW_FIELDS, 'mirrorSessions'], types: [...FLOW_TYPES, 'set[string]'] };
}

export const FLOW_FIELDS = ['firstTs', 'id', 'proto', 'client', 'clientPort', 'server', 'serverPort', 'orientation', 'portEvidence', 'state', 'attempt', 'duration', 'clientPackets', 'serverPackets', 'clientBytes', 'serverBytes', 'synRetransmits', 'icmpType', 'icmpCode', 'icmpErrors'];
const FLOW_TYPES = ['time', 'count', 'string', 'addr', 'port', 'addr', 'port', 'string', 'string', 'string', 'string', 'interval', 'count', 'count', 'count', 'count', 'count', 'count', 'count', 'count'];

/** Pre-encoded words, indexed by code: what the writers copy instead of building strings. */
const STATE_BYTES = CONN_STATES.map(ascii);
const ATTEMPT_BYTES = ATTEMPTS.map(ascii);
const ORIENTATION_BYTES = Array.from({ length: 256 }, (_, c) => ascii(orientationName(c)));
const EVIDENCE_BYTES = Array.from({ length: 256 }, (_, c) => ascii(portEvidenceName(c) ?? '-'));
const PROTO_BYTES = Array.from({ length: 256 }, (_, p) => ascii(protoName(p)));
const TAB = 9;
const QUOTE = 34;
const DASH = ascii('-');
const NULL = ascii('null');

/**
 * Writes `flows` records of one connection table as bytes, straight from the columns: no record object and no string
 * per field (addresses are encoded once each). JSON is flowRecord's JSON.stringify text exactly, TSV is tsvLine's
 * (test/report/flows.test.ts checks both on every connection of the recorded captures). Measured on the 2 M-packet
 * bench capture, `flows -F tsv`: 0.88 s -> see the README's bench table for the figure after.
 */
export class FlowWriter {
  readonly out = new ByteOutput();
  private readonly addresses: (Uint8Array | undefined)[] = [];
  private readonly quotedSessions = new Map<number, Uint8Array>();
  private readonly plainSessions = new Map<number, Uint8Array>();

  constructor(private readonly ct: ConnectionTable) {}

  private address(id: number): Uint8Array {
    let b = this.addresses[id];
    if (b === undefined) this.addresses[id] = b = ascii(this.ct.addresses.text(id));
    return b;
  }

  /** A port, or `absent` when the protocol has none. */
  private port(i: number, port: number, absent: Uint8Array): void {
    if (this.ct.ported(i)) this.out.uint(port);
    else this.out.bytes(absent);
  }

  private key(name: string): void {
    this.out.text(name);
  }

  /** Connection i's session names, `sep` between them, JSON-quoted or not (encoded once per session); false for none. */
  private sessions(i: number, sep: number, quoted: boolean): boolean {
    const { ct, out } = this;
    const s = ct.mirrorSessions!;
    const used = ct.mirrorSessionCount![i]! & ~SESSIONS_MORE;
    for (let j = SESSIONS_PER_FLOW * i; j < SESSIONS_PER_FLOW * i + used; j++) {
      if (j > SESSIONS_PER_FLOW * i) out.byte(sep);
      const key = s[j]!;
      const cache = quoted ? this.quotedSessions : this.plainSessions;
      let b = cache.get(key);
      if (b === undefined) {
        const name = ct.sessionName(key);
        cache.set(key, (b = ascii(quoted ? JSON.stringify(name) : name)));
      }
      out.bytes(b);
    }
    return used > 0;
  }

  /** flowRecord(ct, i) as one line of JSON (no newline). */
  json(i: number): void {
    const { ct, out } = this;
    const icmp = (ct.bits[i]! & ConnBit.ICMP_MESSAGE) !== 0;
    const o = ct.orientation[i]!;
    const errors = ct.icmpErrors[i]!;
    const cp = ct.clientPackets[i]!;
    const sp = ct.serverPackets[i]!;
    const cb = ct.clientBytes[i]!;
    const sb = ct.serverBytes[i]!;
    const first = ct.firstTs[i]!;
    const last = ct.lastTs[i]!;
    this.key('{"id":');
    out.uint(i);
    this.key(',"proto":"');
    out.bytes(PROTO_BYTES[ct.proto[i]!]!);
    this.key('","family":');
    out.uint(ct.family[i]!);
    this.key(',"client":"');
    out.bytes(this.address(ct.client[i]!));
    this.key('","clientPort":');
    this.port(i, ct.clientPort[i]!, NULL);
    this.key(',"server":"');
    out.bytes(this.address(ct.server[i]!));
    this.key('","serverPort":');
    this.port(i, ct.serverPort[i]!, NULL);
    this.key(',"orientation":"');
    out.bytes(ORIENTATION_BYTES[o]!);
    this.key('","portEvidence":');
    if (portEvidenceName(o) === null) out.bytes(NULL);
    else {
      out.byte(QUOTE);
      out.bytes(EVIDENCE_BYTES[o]!);
      out.byte(QUOTE);
    }
    this.key(',"state":"');
    out.bytes(STATE_BYTES[ct.state[i]!]!);
    this.key('","packets":');
    out.num(cp + sp);
    this.key(',"bytes":');
    out.num(cb + sb);
    this.key(',"firstTs":');
    out.seconds(first);
    this.key(',"lastTs":');
    out.seconds(last);
    this.key(',"duration":');
    out.micros(Math.round((last - first) * 1e6));
    this.key(',"clientPackets":');
    out.num(cp);
    this.key(',"serverPackets":');
    out.num(sp);
    this.key(',"clientBytes":');
    out.num(cb);
    this.key(',"serverBytes":');
    out.num(sb);
    this.key(',"attempt":"');
    out.bytes(ATTEMPT_BYTES[ct.attempt[i]!]!);
    this.key('","synRetransmits":');
    out.uint(ct.synRetransmits[i]!);
    this.key(',"synAckRetransmits":');
    out.uint(ct.synAckRetransmits[i]!);
    this.key(',"icmpType":');
    if (icmp) out.uint(ct.icmpType[i]!);
    else out.bytes(NULL);
    this.key(',"icmpCode":');
    if (icmp) out.uint(ct.icmpCode[i]!);
    else out.bytes(NULL);
    this.key(',"icmpErrors":');
    out.uint(errors);
    this.key(',"lastIcmpError":');
    if (errors > 0) {
      const e = ct.lastIcmpError[i]!;
      this.key('{"type":');
      out.uint(e >> 8);
      this.key(',"code":');
      out.uint(e & 0xff);
      out.byte(125);
    } else out.bytes(NULL);
    this.key(',"syn":');
    if (ct.bits[i]! & ConnBit.SYN_SEEN) {
      const info = ct.synOptInfo[i]!;
      const ws = (info >>> 8) & 0xff;
      this.key('{"ttl":');
      out.uint(ct.synTtl[i]!);
      this.key(',"window":');
      out.uint(ct.synWindow[i]!);
      this.key(',"mss":');
      if (info >>> 16) out.uint(info >>> 16);
      else out.bytes(NULL);
      this.key(',"wscale":');
      if (ws === 255) out.bytes(NULL);
      else out.uint(ws);
      this.key(',"options":"');
      out.text(layoutText(ct.synOptLayout[i]!, info & 0xff));
      this.key('"}');
    } else out.bytes(NULL);
    if (ct.mirrorSessions !== null) {
      this.key(',"mirrorSessions":[');
      this.sessions(i, 44, true);
      this.key('],"mirrorSessionsMore":');
      this.key(ct.moreSessions(i) ? 'true' : 'false');
    }
    if (ct.logs) {
      // flow logs: where the connection came from (ASCII JSON: src/report/logged.ts escapes the rest)
      this.key(',"logged":');
      out.text(loggedJson(ct, i));
    }
    out.byte(125);
  }

  /** One TSV line in flowFields(ct) order (no newline). */
  tsv(i: number): void {
    const { ct, out } = this;
    const icmp = (ct.bits[i]! & ConnBit.ICMP_MESSAGE) !== 0;
    const o = ct.orientation[i]!;
    const first = ct.firstTs[i]!;
    out.seconds(first);
    out.byte(TAB);
    out.uint(i);
    out.byte(TAB);
    out.bytes(PROTO_BYTES[ct.proto[i]!]!);
    out.byte(TAB);
    out.bytes(this.address(ct.client[i]!));
    out.byte(TAB);
    this.port(i, ct.clientPort[i]!, DASH);
    out.byte(TAB);
    out.bytes(this.address(ct.server[i]!));
    out.byte(TAB);
    this.port(i, ct.serverPort[i]!, DASH);
    out.byte(TAB);
    out.bytes(ORIENTATION_BYTES[o]!);
    out.byte(TAB);
    out.bytes(EVIDENCE_BYTES[o]!);
    out.byte(TAB);
    out.bytes(STATE_BYTES[ct.state[i]!]!);
    out.byte(TAB);
    out.bytes(ATTEMPT_BYTES[ct.attempt[i]!]!);
    out.byte(TAB);
    out.micros(Math.round((ct.lastTs[i]! - first) * 1e6));
    out.byte(TAB);
    out.num(ct.clientPackets[i]!);
    out.byte(TAB);
    out.num(ct.serverPackets[i]!);
    out.byte(TAB);
    out.num(ct.clientBytes[i]!);
    out.byte(TAB);
    out.num(ct.serverBytes[i]!);
    out.byte(TAB);
    out.uint(ct.synRetransmits[i]!);
    out.byte(TAB);
    if (icmp) out.uint(ct.icmpType[i]!);
    else out.bytes(DASH);
    out.byte(TAB);
    if (icmp) out.uint(ct.icmpCode[i]!);
    else out.bytes(DASH);
    out.byte(TAB);
    out.uint(ct.icmpErrors[i]!);
    if (ct.mirrorSessions !== null) {
      out.byte(TAB);
      if (!this.sessions(i, 44, false)) this.key('(empty)');
    }
  }
}

/** Rows [0, n) written by `row`, one per line (JSON array elements with a comma after all but the last), in byte chunks. */
function* rowChunks(w: FlowWriter, n: number, row: (i: number) => void, comma: boolean): Generator<Uint8Array> {
  for (let i = 0; i < n; i++) {
    row(i);
    if (comma && i + 1 < n) w.out.byte(44);
    w.out.byte(10);
    if (w.out.full) yield w.out.take();
  }
  if (w.out.pos > 0) yield w.out.take();
}

/** Packets the connection view could not place: later fragments without a first fragment, ICMP errors quoting no connection. */
export interface Unplaced {
  unmatchedFragments: number;
  unattributedIcmpErrors: number;
}

/** Flows in `format`, streamed in chunks straight from the columns. */
export function* renderFlows(summary: Pick<CaptureSummary, 'file' | 'packets'>, ct: ConnectionTable, format: Format, unplaced: Unplaced = { unmatchedFragments: 0, unattributedIcmpErrors: 0 }): Generator<string | Uint8Array> {
  const n = ct.count;
  if (format === 'json') {
    yield `{"file":${jsonText(summary.file)},"packets":${summary.packets},"connections":${n},"unmatchedFragments":${unplaced.unmatchedFragments},"unattributedIcmpErrors":${unplaced.unattributedIcmpErrors},"flows":[`;
    const w = new FlowWriter(ct);
    yield* rowChunks(w, n, (i) => w.json(i), true);
    yield ']}\n';
    return;
  }
  if (format === 'jsonl') {
    const w = new FlowWriter(ct);
    yield* rowChunks(w, n, (i) => w.json(i), false);
    return;
  }
  if (format === 'tsv') {
    const w = new FlowWriter(ct);
    if (ct.logs) {
      yield tsvHeader('flows', [...FLOW_FIELDS, ...LOGGED_TSV_FIELDS], [...FLOW_TYPES, ...LOGGED_TSV_TYPES]);
      yield* rowChunks(w, n, (i) => (w.tsv(i), w.out.byte(TAB), w.out.bytes(Buffer.from(loggedTsv(ct, i)))), false);
      return;
    }
    const { fields, types } = flowFields(ct);
    yield tsvHeader('flows', fields, types);
    yield* rowChunks(w, n, (i) => w.tsv(i), false);
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
