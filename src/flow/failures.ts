/**
 * Capture-only diagnosis: what a dropped-return problem looks like without any ACL. Connection attempts are
 * grouped per service (server, serverPort, protocol) across all clients; failures that separate from successes by
 * client port are RETURN_DROP_SUSPECTED, a service where every attempt fails is SERVICE_UNREACHABLE.
 */

/** Codes of the findings read from the capture alone. */
export const CAPTURE_FINDING_CODES = ['RETURN_DROP_SUSPECTED', 'SERVICE_UNREACHABLE'] as const;
import type { Connection } from './connections.js';
import { PORT_PROFILES } from '../profiles.js';

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

const FAILED = new Set(['unanswered', 'synack-unacked']);

export function ref(c: Connection): ConnectionRef {
  return { client: c.client, clientPort: c.clientPort, server: c.server, serverPort: c.serverPort, proto: c.proto, state: c.state, attempt: c.attempt, synRetransmits: c.synRetransmits, firstTs: c.firstTs };
}

/** Profile range edges: where an ACL's return rule typically starts, used to name a likely threshold. */
const EDGES = [...new Set(PORT_PROFILES.flatMap((p) => [p.range[0], p.range[1] + 1]).concat([32768, 49152, 61000, 1024, 5001]))].sort((a, b) => a - b);

/** Split failed/ok attempts by client port; returns the best threshold and how many attempts contradict it. */
export function portThreshold(failedPorts: number[], okPorts: number[]): { side: 'below' | 'above'; port: number; between: [number, number]; exceptions: number } | null {
  if (failedPorts.length === 0 || okPorts.length === 0) return null;
  const all = [...failedPorts.map((p) => ({ p, f: 1 })), ...okPorts.map((p) => ({ p, f: 0 }))].sort((a, b) => a.p - b.p);
  // Split between two distinct ports; errors of "failures below": ok ports below plus failed ports above.
  const totalFailed = failedPorts.length;
  const totalOk = okPorts.length;
  let best: { side: 'below' | 'above'; k: number; errors: number } | null = null;
  let okBelow = 0;
  let failedBelow = 0;
  for (let k = 1; k < all.length; k++) {
    if (all[k - 1]!.f) failedBelow++;
    else okBelow++;
    if (all[k]!.p === all[k - 1]!.p) continue;
    const errBelow = okBelow + (totalFailed - failedBelow);
    const errAbove = failedBelow + (totalOk - okBelow);
    if (!best || errBelow < best.errors) best = { side: 'below', k, errors: errBelow };
    if (errAbove < best.errors) best = { side: 'above', k, errors: errAbove };
  }
  if (!best) return null;
  const lo = all[best.k - 1]!.p + 1;
  const hi = all[best.k]!.p;
  const edge = EDGES.find((e) => e >= lo && e <= hi);
  return { side: best.side, port: edge ?? hi, between: [lo, hi], exceptions: best.errors };
}

/** Findings over all connections. */
export function captureFindings(conns: Connection[]): CaptureFinding[] {
  const services = new Map<string, Connection[]>();
  for (const c of conns) {
    if (c.proto !== 'tcp' && c.proto !== 'udp') continue;
    // A TCP connection oriented only by its first packet was picked up midstream: "server" is a guess. For UDP the
    // first packet is the request, which is how request/response protocols are oriented.
    if (c.orientation === 'first-packet' && c.proto === 'tcp') continue;
    const key = `${c.proto}|${c.server}|${c.serverPort}`;
    const list = services.get(key);
    if (list) list.push(c);
    else services.set(key, [c]);
  }
  const findings: CaptureFinding[] = [];
  for (const list of services.values()) {
    const first = list[0]!;
    const failed = list.filter((c) => FAILED.has(c.attempt));
    const rejected = list.filter((c) => c.attempt === 'rejected');
    const ok = list.filter((c) => c.attempt === 'completed');
    const clients = new Set(list.map((c) => c.client)).size;
    if (ok.length === 0 && failed.length + rejected.length > 0) {
      const all = [...failed, ...rejected];
      const kinds = new Set(all.map((c) => c.attempt));
      const reason = kinds.size > 1 ? 'mixed' : (all[0]!.attempt as ServiceUnreachable['reason']);
      let minPort = 65535;
      let maxPort = 0;
      for (const c of all) {
        const port = c.clientPort ?? 0;
        if (port < minPort) minPort = port;
        if (port > maxPort) maxPort = port;
      }
      findings.push({
        code: 'SERVICE_UNREACHABLE',
        server: first.server,
        serverPort: first.serverPort,
        proto: first.proto,
        failed: all.length,
        reason,
        clients,
        clientPorts: all.length ? [minPort, maxPort] : null,
        message: `every attempt to ${first.proto}/${first.serverPort} on ${first.server} failed (${all.length} from ${clients} client${clients === 1 ? '' : 's'}, ${reason}), whatever the client port`,
        examples: all.slice(0, 5).map(ref),
      });
      continue;
    }
    if (failed.length === 0 || ok.length === 0) continue;
    const th = portThreshold(
      failed.map((c) => c.clientPort!),
      ok.map((c) => c.clientPort!),
    );
    // A split is only evidence when it explains (nearly) every attempt.
    if (!th || th.exceptions > Math.max(0, Math.floor(0.05 * (failed.length + ok.length)))) continue;
    findings.push({
      code: 'RETURN_DROP_SUSPECTED',
      server: first.server,
      serverPort: first.serverPort!,
      proto: first.proto,
      failed: failed.length,
      ok: ok.length,
      threshold: { side: th.side, port: th.port, between: th.between },
      exceptions: th.exceptions,
      clients,
      message: `${failed.length} of ${failed.length + ok.length} ${first.proto}/${first.serverPort} connections to ${first.server} failed, all from client ports ${th.side} ${th.port}${th.exceptions ? ` (${th.exceptions} exception${th.exceptions === 1 ? '' : 's'})` : ''}: replies to those ports are likely dropped (a stateless ACL allowing only part of the ephemeral range)`,
      examples: { failed: failed.slice(0, 5).map(ref), ok: ok.slice(0, 5).map(ref) },
    });
  }
  return findings.sort((a, b) => (a.code === b.code ? b.failed - a.failed : a.code === 'RETURN_DROP_SUSPECTED' ? -1 : 1));
}
