/**
 * TCP connection state as Zeek's conn_state codes (base/protocols/conn/main.zeek), derived from what each side
 * sent (flag bits OR-ed over its packets) instead of Zeek's packet-by-packet endpoint machine. Same decision tree:
 * responder RST first, then originator RST, then FINs, then the handshake.
 */
import { DirFlag } from './table.js';

/** Zeek conn_state codes; a connection table stores the index. */
export const CONN_STATES = ['S0', 'S1', 'SF', 'REJ', 'S2', 'S3', 'RSTO', 'RSTR', 'RSTOS0', 'RSTRH', 'SH', 'SHR', 'OTH'] as const;
export type ConnState = (typeof CONN_STATES)[number];
const S = Object.fromEntries(CONN_STATES.map((s, i) => [s, i])) as { [K in ConnState]: number };

const enum Endpoint {
  INACTIVE,
  PARTIAL,
  SYN_SENT,
  SYN_ACK_SENT,
  ESTABLISHED,
  CLOSED,
  RESET,
}

function endpoint(own: number, peer: number, packets: number, ownOpenedHandshake: boolean): Endpoint {
  if (packets === 0) return Endpoint.INACTIVE;
  if (own & DirFlag.RST) return Endpoint.RESET;
  if (own & DirFlag.FIN) return Endpoint.CLOSED;
  const handshake = (own | peer) & (DirFlag.BARE_SYN | DirFlag.SYN_ACK);
  if (!handshake) return Endpoint.PARTIAL;
  // Established once the originator's SYN was answered by a SYN-ACK and the originator acknowledged it.
  if (ownOpenedHandshake) {
    if (own & DirFlag.BARE_SYN && peer & DirFlag.SYN_ACK && own & DirFlag.ACK) return Endpoint.ESTABLISHED;
    return own & DirFlag.BARE_SYN ? Endpoint.SYN_SENT : Endpoint.PARTIAL;
  }
  if (own & DirFlag.SYN_ACK && peer & DirFlag.ACK && peer & DirFlag.BARE_SYN) return Endpoint.ESTABLISHED;
  return own & DirFlag.SYN_ACK ? Endpoint.SYN_ACK_SENT : Endpoint.PARTIAL;
}

/**
 * conn_state (index into CONN_STATES) of a TCP connection from the client's (originator's) and server's
 * (responder's) flags and packet counts, and whether each side carried payload.
 */
export function tcpConnState(o: number, r: number, oPackets: number, rPackets: number): number {
  const os = endpoint(o, r, oPackets, true);
  const rs = endpoint(r, o, rPackets, false);
  const oInactive = os === Endpoint.INACTIVE || os === Endpoint.PARTIAL;
  const rInactive = rs === Endpoint.INACTIVE || rs === Endpoint.PARTIAL;
  if (rs === Endpoint.RESET) {
    if (os === Endpoint.SYN_SENT || os === Endpoint.SYN_ACK_SENT || (os === Endpoint.RESET && !(o & DirFlag.DATA) && !(r & DirFlag.DATA))) return S.REJ;
    if (oInactive) return S.RSTRH;
    return S.RSTR;
  }
  if (os === Endpoint.RESET) {
    if (rInactive) {
      // Zeek: history ^S[^HAFGIQ]*R, a SYN then a RST with no reply, no ACK, no FIN, no data in between.
      if (o & DirFlag.BARE_SYN && !(o & (DirFlag.FIN | DirFlag.DATA)) && !(r & (DirFlag.SYN_ACK | DirFlag.DATA | DirFlag.FIN))) return S.RSTOS0;
      return S.OTH;
    }
    return S.RSTO;
  }
  if (rs === Endpoint.CLOSED && os === Endpoint.CLOSED) return S.SF;
  if (os === Endpoint.CLOSED) return rInactive ? S.SH : S.S2;
  if (rs === Endpoint.CLOSED) return oInactive ? S.SHR : S.S3;
  if (os === Endpoint.SYN_SENT && rs === Endpoint.INACTIVE) return S.S0;
  if (os === Endpoint.ESTABLISHED && rs === Endpoint.ESTABLISHED) return S.S1;
  return S.OTH;
}

/** conn_state (index) for UDP and ICMP: S0 one way only, SF both ways (as Zeek reports them). */
export function datagramConnState(oPackets: number, rPackets: number): number {
  if (oPackets > 0 && rPackets > 0) return S.SF;
  if (oPackets > 0) return S.S0;
  return S.OTH;
}
