import { describe, it, expect } from 'vitest';
import { foldAll, tempFile, addr } from './helpers.js';
import { DirAction, Verdict, orientationEvidence, dirFlagsFromTcpFlags, PktDiffers, ConnBit, DirSeen } from '../../src/flowlogs/connections.js';
import { DirFlag } from '../../src/flow/table.js';
import type { FlowLogConnections } from '../../src/flowlogs/connections.js';

const H = 'version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags flow-direction pkt-srcaddr pkt-dstaddr';
/** A record line of the header H. */
const r = (eni: string, src: string, dst: string, sp: number, dp: number, pk: number, by: number, s: number, e: number, action: string, flags: number | '-', dir: string, psrc = '-', pdst = '-', proto = 6): string =>
  `5 ${eni} ${src} ${dst} ${sp} ${dp} ${proto} ${pk} ${by} ${s} ${e} ${action} OK ${flags} ${dir} ${psrc} ${pdst}`;

/** The connection's endpoints as "addr:port" strings for direction 0 (lower to higher). */
function ends(t: FlowLogConnections, c: number): [string, string] {
  const k = 4 * c;
  const w2 = t.keys[k + 2]!;
  const fam = t.keys[k + 3]! & 0x10000 ? 6 : 4;
  const a = fam === 4 ? addr(Uint32Array.of(t.keys[k]!, 0, 0, 0), 0, 4) : `v6#${t.keys[k]}`;
  const b = fam === 4 ? addr(Uint32Array.of(t.keys[k + 1]!, 0, 0, 0), 0, 4) : `v6#${t.keys[k + 1]}`;
  return [`${a}:${w2 >>> 16}`, `${b}:${w2 & 0xffff}`];
}

describe('tcp-flags to DirFlag (AWS: FIN 1, SYN 2, RST 4, SYN-ACK 18)', () => {
  it('maps each documented value', () => {
    expect(dirFlagsFromTcpFlags(2)).toBe(DirFlag.SYN | DirFlag.BARE_SYN);
    expect(dirFlagsFromTcpFlags(18)).toBe(DirFlag.SYN | DirFlag.ACK | DirFlag.SYN_ACK);
    expect(dirFlagsFromTcpFlags(19)).toBe(DirFlag.SYN | DirFlag.ACK | DirFlag.SYN_ACK | DirFlag.FIN);
    expect(dirFlagsFromTcpFlags(3)).toBe(DirFlag.SYN | DirFlag.BARE_SYN | DirFlag.FIN);
    expect(dirFlagsFromTcpFlags(4)).toBe(DirFlag.RST);
    expect(dirFlagsFromTcpFlags(0)).toBe(0);
  });
});

describe('records to connections', () => {
  it('pairs a record with its reverse 5-tuple on the same interface over adjacent intervals', async () => {
    const f = tempFile([
      H,
      r('eni-s', '10.0.0.5', '10.0.1.9', 40000, 443, 3, 180, 100, 110, 'ACCEPT', 2, 'ingress'),
      r('eni-s', '10.0.1.9', '10.0.0.5', 443, 40000, 2, 120, 101, 110, 'ACCEPT', 18, 'egress'),
      r('eni-s', '10.0.0.5', '10.0.1.9', 40000, 443, 5, 700, 160, 220, 'ACCEPT', 1, 'ingress'),
      r('eni-s', '10.0.1.9', '10.0.0.5', 443, 40000, 4, 5000, 160, 221, 'REJECT', 1, 'egress'),
      // the same 5-tuple on another interface (the client's ENI) is another connection
      r('eni-c', '10.0.0.5', '10.0.1.9', 40000, 443, 3, 180, 100, 110, 'ACCEPT', 2, 'egress'),
    ].join('\n'));
    const { table: t, reader } = await foldAll([f], 60);
    expect(t.count).toBe(2);
    const c = 0;
    expect(reader.interfaces.name(t.iface[c]!)).toBe('eni-s');
    expect(ends(t, c)).toEqual(['10.0.0.5:40000', '10.0.1.9:443']);
    // dir 0 = client (lower endpoint) -> server
    expect([t.packetsOf(c, 0), t.bytesOf(c, 0), t.firstTsOf(c, 0), t.lastTsOf(c, 0)]).toEqual([8, 880, 100, 220]);
    expect([t.packetsOf(c, 1), t.bytesOf(c, 1), t.firstTsOf(c, 1), t.lastTsOf(c, 1)]).toEqual([6, 5120, 101, 221]);
    expect(t.records[2 * c]).toBe(2);
    expect(t.awsFlags[2 * c]).toBe(3);
    expect(t.awsFlags[2 * c + 1]).toBe(19);
    expect(t.flagsOf(c, 0)).toBe(DirFlag.SYN | DirFlag.BARE_SYN | DirFlag.FIN);
    expect(t.flagsOf(c, 1) & (DirFlag.SYN_ACK | DirFlag.FIN)).toBe(DirFlag.SYN_ACK | DirFlag.FIN);
    expect(t.actionOf(c, 0)).toBe(DirAction.ACCEPT);
    expect(t.actionOf(c, 1)).toBe(DirAction.MIXED);
    expect([t.verdictOf(c, 1, Verdict.ACCEPT_PACKETS), t.verdictOf(c, 1, Verdict.REJECT_RECORDS), t.verdictOf(c, 1, Verdict.REJECT_PACKETS), t.verdictOf(c, 1, Verdict.REJECT_BYTES)]).toEqual([2, 1, 4, 5000]);
    const ev = orientationEvidence(t, c);
    expect(ev).toEqual({ synDir: 0, synAckDir: 1, flowDirs: [DirSeen.INGRESS, DirSeen.EGRESS], tcpFlagsKnown: true });
    expect(reader.interfaces.name(t.iface[1]!)).toBe('eni-c');
    // the first record of each direction: connection 0 opened on line 2, connection 1 on line 6
    const firstLine = (c: number) => Math.min(...[0, 1].filter((d) => t.records[2 * c + d]! > 0).map((d) => t.firstLine[2 * c + d]!));
    expect(firstLine(0)).toBe(2);
    expect(firstLine(1)).toBe(6);
  });

  it('a 5-tuple seen again after more than an interval of silence is a new connection', async () => {
    const f = tempFile([
      H,
      r('eni-s', '10.0.0.5', '10.0.1.9', 45000, 53, 1, 70, 100, 101, 'ACCEPT', '-', 'ingress', '-', '-', 17),
      r('eni-s', '10.0.0.5', '10.0.1.9', 45000, 53, 1, 70, 150, 151, 'ACCEPT', '-', 'ingress', '-', '-', 17), // 49 s later: same
      r('eni-s', '10.0.0.5', '10.0.1.9', 45000, 53, 1, 70, 212, 212, 'ACCEPT', '-', 'ingress', '-', '-', 17), // 61 s later: new
    ].join('\n'));
    const { table: t } = await foldAll([f], 60);
    expect(t.count).toBe(2);
    expect(t.packetsOf(0, 0)).toBe(2);
    expect(t.packetsOf(1, 0)).toBe(1);
    expect(t.bits[0]! & ConnBit.TCP_FLAGS_KNOWN).toBe(0);
  });

  it('keeps pkt-srcaddr / pkt-dstaddr where they differ from srcaddr / dstaddr (a NAT gateway ENI)', async () => {
    // AWS's NAT gateway example: on the gateway's ENI, the instance's traffic to the internet arrives with
    // dstaddr = the ENI (10.40.1.175) and pkt-dstaddr = the host; the reply leaves with srcaddr = the ENI and
    // pkt-srcaddr = the host.
    const f = tempFile([
      H,
      r('eni-nat', '10.40.2.236', '10.40.1.175', 39812, 80, 3, 180, 100, 110, 'ACCEPT', 2, 'ingress', '10.40.2.236', '203.0.113.5'),
      r('eni-nat', '10.40.1.175', '10.40.2.236', 80, 39812, 3, 500, 100, 110, 'ACCEPT', 18, 'egress', '203.0.113.5', '10.40.2.236'),
      r('eni-nat', '10.40.1.175', '203.0.113.5', 21801, 80, 3, 180, 100, 110, 'ACCEPT', 2, 'egress', '10.40.1.175', '203.0.113.5'),
    ].join('\n'));
    const { table: t } = await foldAll([f], 60);
    expect(t.count).toBe(2);
    expect(ends(t, 0)).toEqual(['10.40.1.175:80', '10.40.2.236:39812']);
    // dir 1 = instance -> gateway ENI; its pkt-dstaddr is the internet host
    const rIn = t.pktRow[2 * 0 + 1]!;
    const rOut = t.pktRow[2 * 0 + 0]!;
    expect(rIn).toBeGreaterThanOrEqual(0);
    expect(addr(t.pktDst, rIn, 4)).toBe('203.0.113.5');
    expect(t.pktBits[rIn]).toBe(PktDiffers.DST);
    expect(addr(t.pktSrc, rOut, 4)).toBe('203.0.113.5');
    expect(t.pktBits[rOut]).toBe(PktDiffers.SRC);
    // the gateway's own leg has pkt addresses equal to its addresses: nothing kept
    expect(t.pktRow[2 * 1]).toBe(-1);
    expect(t.pktRow[2 * 1 + 1]).toBe(-1);
  });

  it('memory grows with connections, not records: a week of the same 5-tuples is one row each', async () => {
    const lines = [H];
    for (let w = 0; w < 2000; w++) {
      for (let k = 0; k < 5; k++) lines.push(r('eni-s', `10.0.0.${k + 1}`, '10.0.1.9', 40000 + k, 443, 1, 60, w * 60, w * 60 + 59, 'ACCEPT', 0, 'ingress'));
    }
    const { table: t } = await foldAll([tempFile(lines.join('\n'))], 60);
    expect(t.count).toBe(5);
    expect(t.packetsOf(0, 0)).toBe(2000);
    expect(t.byteSize()).toBeLessThan(20_000);
  });
});
