/** Small captures built from packet descriptions, written to a temp file for the engine to read. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter } from '../../src/capture/writer.js';
import { ipv4Packet, ipv6Packet, ethernet, type L4 } from './packets.js';
import type { Ipv4Repr } from '../../src/wire/ipv4.js';

const dir = mkdtempSync(join(tmpdir(), 'aclreplay-build-'));
let seq = 0;

/** One packet: [src, dst, transport] (IPv6 when the address has a colon), optional IPv4 header overrides. */
export type Spec = [string, string, L4, Partial<Ipv4Repr>?];

export const SYN = 0x02;
export const SYNACK = 0x12;
export const ACK = 0x10;
export const FIN_ACK = 0x11;
export const RST = 0x04;
export const PSH_ACK = 0x18;

/** Write the packets (1 ms apart) as an Ethernet pcap; returns its path. */
export function buildCapture(specs: Spec[]): string {
  const w = new PcapWriter().header();
  specs.forEach(([src, dst, l4, extra], i) => {
    const ip = src.includes(':') ? ipv6Packet(src, dst, l4) : ipv4Packet(src, dst, l4, extra ?? {});
    w.packet(1_700_000_000, i * 1000, ethernet(ip));
  });
  const file = join(dir, `c${seq++}.pcap`);
  writeFileSync(file, w.take());
  return file;
}

/** A complete TCP connection: handshake, one request and reply, FIN both ways. */
export function tcpConnection(client: string, cport: number, server: string, sport: number, isn = 1000): Spec[] {
  const c2s = (flags: number, payload = 0): Spec => [client, server, { proto: 'tcp', sport: cport, dport: sport, flags, seq: flags === SYN ? isn : isn + 1, payload: new Uint8Array(payload) }];
  const s2c = (flags: number, payload = 0): Spec => [server, client, { proto: 'tcp', sport, dport: cport, flags, payload: new Uint8Array(payload) }];
  return [c2s(SYN), s2c(SYNACK), c2s(ACK), c2s(PSH_ACK, 20), s2c(PSH_ACK, 100), c2s(FIN_ACK), s2c(FIN_ACK), c2s(ACK)];
}
