/**
 * Capture-only diagnosis: what a dropped-return problem looks like without any ACL. Connection attempts are
 * grouped per service (server, serverPort, protocol) across all clients; failures that separate from successes by
 * client port are RETURN_DROP_SUSPECTED, a service where every attempt fails is SERVICE_UNREACHABLE.
 */
import { PORT_PROFILES } from '../profiles.js';
import { ATTEMPTS, Attempt, protoName, type ConnectionTable } from '../flow/connections.js';
import { CONN_STATES } from '../flow/state.js';
import { isFirstPacketOrientation } from '../flow/orient.js';
import { KeyIndex } from '../flow/keyindex.js';
import { groupRows } from '../typed.js';

/** Codes of the findings read from the capture alone. */
export const CAPTURE_FINDING_CODES = ['RETURN_DROP_SUSPECTED', 'SERVICE_UNREACHABLE'] as const;

/** A connection as a finding cites it. */
export interface ConnectionRef {
  client: string;
  clientPort: number | null;
  server: string;
  serverPort: number | null;
  proto: string;
  state: string;
  attempt: string;
  synRetransmits: number;
  firstTs: number;
  /** Flow logs: the connection's first record (file:line), where a capture has none. */
  record?: string;
}

export interface ReturnDropSuspected {
  code: 'RETURN_DROP_SUSPECTED';
  server: string;
  serverPort: number;
  proto: string;
  failed: number;
  ok: number;
  /** Failures are on this side of `port`: 'below' means client ports < port fail. */
  threshold: { side: 'below' | 'above'; port: number; between: [number, number] };
  /** Attempts on the wrong side of the threshold (0 when failures and successes separate exactly). */
  exceptions: number;
  clients: number;
  message: string;
  examples: { failed: ConnectionRef[]; ok: ConnectionRef[] };
}

export interface ServiceUnreachable {
  code: 'SERVICE_UNREACHABLE';
  server: string;
  serverPort: number | null;
  proto: string;
  failed: number;
  /** What the failures looked like: 'unanswered' (silence), 'rejected' (RST / ICMP unreachable), or mixed. */
  reason: 'unanswered' | 'rejected' | 'synack-unacked' | 'mixed';
  clients: number;
  clientPorts: [number, number] | null;
  message: string;
  examples: ConnectionRef[];
}

export type CaptureFinding = ReturnDropSuspected | ServiceUnreachable;

/** Row `i` of the connection table as a finding cites it. */
export function connectionRef(ct: ConnectionTable, i: number): ConnectionRef {
  const ported = ct.ported(i);
  return {
    client: ct.addresses.text(ct.client[i]!),
    clientPort: ported ? ct.clientPort[i]! : null,
    server: ct.addresses.text(ct.server[i]!),
    serverPort: ported ? ct.serverPort[i]! : null,
    proto: protoName(ct.proto[i]!),
    state: CONN_STATES[ct.state[i]!]!,
    attempt: ATTEMPTS[ct.attempt[i]!]!,
    synRetransmits: ct.synRetransmits[i]!,
    firstTs: ct.firstTs[i]!,
    ...(ct.logs && ct.logs.firstSide(i) >= 0 ? { record: ct.logs.where(ct.logs.firstSide(i))! } : {}),
  };
}

/** The first `n` rows of `rows` as references. */
export function refs(ct: ConnectionTable, rows: ArrayLike<number>, n = 5): ConnectionRef[] {
  const out: ConnectionRef[] = [];
  for (let k = 0; k < rows.length && k < n; k++) out.push(connectionRef(ct, rows[k]!));
  return out;
}

/** Profile range edges: where an ACL's return rule typically starts, used to name a likely threshold. */
const EDGES = [...new Set(PORT_PROFILES.flatMap((p) => [p.range[0], p.range[1] + 1]).concat([32768, 49152, 61000, 1024, 5001]))].sort((a, b) => a - b);

/** Split failed/ok attempts by client port; returns the best threshold and how many attempts contradict it. */
export function portThreshold(failedPorts: ArrayLike<number>, okPorts: ArrayLike<number>): { side: 'below' | 'above'; port: number; between: [number, number]; exceptions: number } | null {
  const totalFailed = failedPorts.length;
  const totalOk = okPorts.length;
  if (totalFailed === 0 || totalOk === 0) return null;
  // Each attempt as port * 2 + (1 when it failed), sorted by port: splits fall between two distinct ports.
  const all = new Uint32Array(totalFailed + totalOk);
  for (let i = 0; i < totalFailed; i++) all[i] = failedPorts[i]! * 2 + 1;
  for (let i = 0; i < totalOk; i++) all[totalFailed + i] = okPorts[i]! * 2;
  all.sort();
  // Errors of "failures below": ok ports below plus failed ports above.
  let bestSide: 'below' | 'above' = 'below';
  let bestK = -1;
  let bestErrors = Infinity;
  let okBelow = 0;
  let failedBelow = 0;
  for (let k = 1; k < all.length; k++) {
    if (all[k - 1]! & 1) failedBelow++;
    else okBelow++;
    if (all[k]! >>> 1 === all[k - 1]! >>> 1) continue;
    const errBelow = okBelow + (totalFailed - failedBelow);
    const errAbove = failedBelow + (totalOk - okBelow);
    if (bestK < 0 || errBelow < bestErrors) {
      bestSide = 'below';
      bestK = k;
      bestErrors = errBelow;
    }
    if (errAbove < bestErrors) {
      bestSide = 'above';
      bestK = k;
      bestErrors = errAbove;
    }
  }
  if (bestK < 0) return null;
  const lo = (all[bestK - 1]! >>> 1) + 1;
  const hi = all[bestK]! >>> 1;
  const edge = EDGES.find((e) => e >= lo && e <= hi);
  return { side: bestSide, port: edge ?? hi, between: [lo, hi], exceptions: bestErrors };
}

/** Findings over all connections of the table. */
export function captureFindings(ct: ConnectionTable): CaptureFinding[] {
  const n = ct.count;
  // Services (proto, server, server port) in order of first appearance; rows grouped per service by a counting sort.
  const serviceOf = new Int32Array(n).fill(-1);
  const ids = new KeyIndex(1024);
  for (let i = 0; i < n; i++) {
    const proto = ct.proto[i]!;
    if (proto !== 6 && proto !== 17) continue;
    // A TCP connection oriented only by its first packet was picked up midstream: "server" is a guess. For UDP the
    // first packet is the request, which is how request/response protocols are oriented.
    if (proto === 6 && isFirstPacketOrientation(ct.orientation[i]!)) continue;
    serviceOf[i] = ids.intern(ct.server[i]!, ct.serverPort[i]!, proto, 0);
  }
  const services = ids.count;
  const { start, rows } = groupRows(serviceOf, services);

  const findings: CaptureFinding[] = [];
  const failedRows = new Int32Array(rows.length);
  const rejectedRows = new Int32Array(rows.length);
  const okRows = new Int32Array(rows.length);
  const seenClient = new Uint8Array(ct.addresses.count);
  for (let s = 0; s < services; s++) {
    let nf = 0;
    let nr = 0;
    let no = 0;
    let clients = 0;
    for (let k = start[s]!; k < start[s + 1]!; k++) {
      const i = rows[k]!;
      const a = ct.attempt[i]!;
      if (a === Attempt.UNANSWERED || a === Attempt.SYNACK_UNACKED) failedRows[nf++] = i;
      else if (a === Attempt.REJECTED) rejectedRows[nr++] = i;
      else if (a === Attempt.COMPLETED) okRows[no++] = i;
      const c = ct.client[i]!;
      if (!seenClient[c]) {
        seenClient[c] = 1;
        clients++;
      }
    }
    for (let k = start[s]!; k < start[s + 1]!; k++) seenClient[ct.client[rows[k]!]!] = 0;
    const first = rows[start[s]!]!;
    const server = ct.addresses.text(ct.server[first]!);
    const serverPort = ct.serverPort[first]!;
    const proto = protoName(ct.proto[first]!);
    if (no === 0 && nf + nr > 0) {
      // The failures in order: unanswered and unacknowledged first, then rejected.
      const all = new Int32Array(nf + nr);
      all.set(failedRows.subarray(0, nf));
      all.set(rejectedRows.subarray(0, nr), nf);
      let kinds = 0;
      let minPort = 65535;
      let maxPort = 0;
      for (const i of all) {
        kinds |= 1 << ct.attempt[i]!;
        const port = ct.clientPort[i]!;
        if (port < minPort) minPort = port;
        if (port > maxPort) maxPort = port;
      }
      const reason = (kinds & (kinds - 1)) !== 0 ? 'mixed' : (ATTEMPTS[ct.attempt[all[0]!]!] as ServiceUnreachable['reason']);
      findings.push({
        code: 'SERVICE_UNREACHABLE',
        server,
        serverPort,
        proto,
        failed: all.length,
        reason,
        clients,
        clientPorts: all.length ? [minPort, maxPort] : null,
        message: `every attempt to ${proto}/${serverPort} on ${server} failed (${all.length} from ${clients} client${clients === 1 ? '' : 's'}, ${reason}), whatever the client port`,
        examples: refs(ct, all),
      });
      continue;
    }
    if (nf === 0 || no === 0) continue;
    const portsOf = (list: Int32Array, len: number) => {
      const out = new Uint16Array(len);
      for (let k = 0; k < len; k++) out[k] = ct.clientPort[list[k]!]!;
      return out;
    };
    const th = portThreshold(portsOf(failedRows, nf), portsOf(okRows, no));
    // A split is only evidence when it explains (nearly) every attempt.
    if (!th || th.exceptions > Math.max(0, Math.floor(0.05 * (nf + no)))) continue;
    findings.push({
      code: 'RETURN_DROP_SUSPECTED',
      server,
      serverPort,
      proto,
      failed: nf,
      ok: no,
      threshold: { side: th.side, port: th.port, between: th.between },
      exceptions: th.exceptions,
      clients,
      message: `${nf} of ${nf + no} ${proto}/${serverPort} connections to ${server} failed, all from client ports ${th.side} ${th.port}${th.exceptions ? ` (${th.exceptions} exception${th.exceptions === 1 ? '' : 's'})` : ''}: replies to those ports are likely dropped (a stateless ACL allowing only part of the ephemeral range)`,
      examples: { failed: refs(ct, failedRows.subarray(0, nf)), ok: refs(ct, okRows.subarray(0, no)) },
    });
  }
  return findings.sort((a, b) => (a.code === b.code ? b.failed - a.failed : a.code === 'RETURN_DROP_SUSPECTED' ? -1 : 1));
}
