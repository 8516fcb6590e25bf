import { describe, it, expect } from 'vitest';
import { analyzeCapture } from '../../src/analyze/capture.js';
import { buildCapture, tcpConnection, SYN, SYNACK, ACK, RST, FIN_ACK, type Spec } from '../helpers/build.js';
import { flowRecords } from '../helpers/tables.js';

const C = '10.0.1.5';
const S = '10.0.2.10';

async function conns(specs: Spec[]) {
  return flowRecords((await analyzeCapture(buildCapture(specs), { jobs: 1 })).connections);
}

describe('flow table', () => {
  it('puts both directions of a connection in one row, oriented by the SYN', async () => {
    const [c, ...rest] = await conns(tcpConnection(C, 40000, S, 443));
    expect(rest).toHaveLength(0);
    expect(c).toMatchObject({ proto: 'tcp', client: C, clientPort: 40000, server: S, serverPort: 443, orientation: 'syn', state: 'SF', attempt: 'completed', packets: 8, clientPackets: 5, serverPackets: 3, synRetransmits: 0 });
  });

  it('orients by the SYN even when the client has the lower address and port', async () => {
    const [c] = await conns(tcpConnection('10.0.0.1', 80, '10.9.9.9', 50000));
    expect(c).toMatchObject({ client: '10.0.0.1', clientPort: 80, server: '10.9.9.9', serverPort: 50000, orientation: 'syn' });
  });

  it('starts a new connection when a 5-tuple is reused after FIN, not on a retransmitted SYN', async () => {
    const syn: Spec = [C, S, { proto: 'tcp', sport: 40000, dport: 80, flags: SYN }];
    const list = await conns([syn, syn, syn, ...tcpConnection(C, 40000, S, 80), ...tcpConnection(C, 40000, S, 80, 777777)]);
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({ synRetransmits: 3, state: 'SF', packets: 11 });
    expect(list[1]).toMatchObject({ synRetransmits: 0, state: 'SF', packets: 8 });
  });

  it('starts a new connection after RST', async () => {
    const rejected = (isn: number): Spec[] => [
      [C, S, { proto: 'tcp', sport: 40001, dport: 81, flags: SYN, seq: isn }],
      [S, C, { proto: 'tcp', sport: 81, dport: 40001, flags: RST | ACK, ack: isn + 1 }],
    ];
    const list = await conns([...rejected(5), ...rejected(9000)]);
    expect(list.map((c) => [c.state, c.attempt])).toEqual([
      ['REJ', 'rejected'],
      ['REJ', 'rejected'],
    ]);
  });

  it('keeps a SYN that repeats the ISN after RST in the same connection (a retransmission, as Wireshark sees it)', async () => {
    const list = await conns([
      [C, S, { proto: 'tcp', sport: 40001, dport: 81, flags: SYN, seq: 5 }],
      [S, C, { proto: 'tcp', sport: 81, dport: 40001, flags: RST | ACK, ack: 6 }],
      [C, S, { proto: 'tcp', sport: 40001, dport: 81, flags: SYN, seq: 5 }],
    ]);
    expect(list).toHaveLength(1);
    expect(list[0]!.synRetransmits).toBe(1);
  });

  it('knows the ISN from a SYN-ACK when the SYN was not captured', async () => {
    const list = await conns([
      [S, C, { proto: 'tcp', sport: 80, dport: 40009, flags: SYNACK, seq: 31000, ack: 30001 }],
      [C, S, { proto: 'tcp', sport: 40009, dport: 80, flags: FIN_ACK, seq: 30001 }],
      [S, C, { proto: 'tcp', sport: 80, dport: 40009, flags: FIN_ACK, seq: 31001 }],
      [C, S, { proto: 'tcp', sport: 40009, dport: 80, flags: SYN, seq: 30000 }],
      [C, S, { proto: 'tcp', sport: 40009, dport: 80, flags: SYN, seq: 90000 }],
    ]);
    expect(list).toHaveLength(2);
  });

  it('orients without a SYN by the SYN-ACK, and by service port without either', async () => {
    const list = await conns([
      [S, C, { proto: 'tcp', sport: 443, dport: 40000, flags: SYNACK }],
      [C, S, { proto: 'tcp', sport: 40000, dport: 443, flags: ACK }],
      [C, S, { proto: 'tcp', sport: 40002, dport: 22, flags: ACK, payload: new Uint8Array(4) }],
      [C, S, { proto: 'tcp', sport: 9000, dport: 40003, flags: ACK }],
    ]);
    expect(list.map((c) => [c.client, c.clientPort, c.orientation, c.portEvidence])).toEqual([
      [C, 40000, 'syn-ack', null],
      [C, 40002, 'port-heuristic', 'service-port'],
      [S, 40003, 'port-heuristic', 'service-port'],
    ]);
  });

  it('learns server ports from oriented connections for the rest', async () => {
    const list = await conns([
      ...tcpConnection(C, 40000, S, 7777),
      [S, C, { proto: 'tcp', sport: 7777, dport: 41000, flags: ACK, payload: new Uint8Array(10) }],
    ]);
    expect(list[1]).toMatchObject({ client: C, clientPort: 41000, server: S, serverPort: 7777, orientation: 'port-heuristic', portEvidence: 'port-seen-as-server' });
  });

  it('pairs UDP by DNS query/response and ICMP echo by identifier', async () => {
    const q = new Uint8Array([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    const r = new Uint8Array([0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
    const list = await conns([
      [S, C, { proto: 'udp', sport: 53, dport: 53000, payload: r }], // response seen first
      [C, S, { proto: 'udp', sport: 53000, dport: 53, payload: q }],
      [C, S, { proto: 'icmp', icmpType: 8, ident: 7 }],
      [S, C, { proto: 'icmp', icmpType: 0, ident: 7 }],
      [C, S, { proto: 'icmp', icmpType: 8, ident: 8 }],
    ]);
    expect(list.map((c) => [c.proto, c.client, c.orientation, c.attempt, c.packets])).toEqual([
      ['udp', C, 'dns', 'completed', 2],
      ['icmp', C, 'icmp-echo', 'completed', 2],
      ['icmp', C, 'icmp-echo', 'unanswered', 1],
    ]);
  });

  it('attributes ICMP errors to the connection they quote', async () => {
    const req = [C, S, { proto: 'udp', sport: 33333, dport: 9999, payload: new Uint8Array(8) }] as Spec;
    const quoted = (await import('../helpers/packets.js')).ipv4Packet(C, S, { proto: 'udp', sport: 33333, dport: 9999, payload: new Uint8Array(8) });
    const list = await conns([req, [S, C, { proto: 'icmp', icmpType: 3, icmpCode: 3, payload: quoted.subarray(0, 28) }]]);
    expect(list[0]).toMatchObject({ proto: 'udp', clientPort: 33333, icmpErrors: 1, lastIcmpError: { type: 3, code: 3 }, attempt: 'rejected' });
    expect(list[1]).toMatchObject({ proto: 'icmp', icmpType: 3, icmpCode: 3, orientation: 'icmp-error', client: C, server: S });
  });

  it('ICMPv6: destination unreachable (type 1) is a refusal, time exceeded (type 3) is not', async () => {
    const C6 = 'fd00:1::5';
    const S6 = 'fd00:2::7';
    const { ipv6Packet } = await import('../helpers/packets.js');
    const req = (sport: number): Spec => [C6, S6, { proto: 'udp', sport, dport: 9999, payload: new Uint8Array(8) }];
    const err = (sport: number, icmpType: number, icmpCode: number): Spec => [S6, C6, { proto: 'icmp6', icmpType, icmpCode, payload: ipv6Packet(C6, S6, { proto: 'udp', sport, dport: 9999, payload: new Uint8Array(8) }) }];
    const list = await conns([req(40001), err(40001, 1, 4), req(40002), err(40002, 3, 0)]);
    const udp = list.filter((c) => c.proto === 'udp');
    expect(udp.map((c) => [c.clientPort, c.lastIcmpError, c.attempt])).toEqual([
      [40001, { type: 1, code: 4 }, 'rejected'],
      [40002, { type: 3, code: 0 }, 'unanswered'],
    ]);
  });

  it('an ICMP error belongs to the connection open when it arrived, not a later reuse of the 5-tuple', async () => {
    const { ipv4Packet } = await import('../helpers/packets.js');
    const quoted = ipv4Packet(C, S, { proto: 'tcp', sport: 40000, dport: 80, flags: SYN, seq: 1000 });
    const icmp: Spec = ['10.0.9.1', C, { proto: 'icmp', icmpType: 3, icmpCode: 1, payload: quoted.subarray(0, 28) }];
    const list = await conns([...tcpConnection(C, 40000, S, 80, 1000), icmp, ...tcpConnection(C, 40000, S, 80, 90000)]);
    const tcp = list.filter((c) => c.proto === 'tcp');
    expect(tcp.map((c) => c.icmpErrors)).toEqual([1, 0]);
  });

  it('a later fragment sent before its first fragment joins the first fragment that follows it', async () => {
    const first = (port: number): Spec => [C, S, { proto: 'udp', sport: 5000, dport: port, payload: new Uint8Array(16) }, { moreFragments: true, dontFragment: false, ident: 7 }];
    const later: Spec = [C, S, { proto: 17, payload: new Uint8Array(16) }, { fragOffset: 24, dontFragment: false, ident: 7 }];
    // later, first(53), first(54) with the same IP id: the fragment belongs to port 53's datagram.
    const list = await conns([later, first(53), first(54)]);
    expect(list.map((c) => [c.serverPort, c.packets])).toEqual([
      [53, 2],
      [54, 1],
    ]);
  });

  it('gives later IPv4 fragments the connection of their first fragment, and counts orphans', async () => {
    const first: Spec = [C, S, { proto: 'udp', sport: 5000, dport: 7, payload: new Uint8Array(16) }, { moreFragments: true, dontFragment: false, ident: 99 }];
    const later: Spec = [C, S, { proto: 17, payload: new Uint8Array(16) }, { fragOffset: 24, dontFragment: false, ident: 99 }];
    const orphan: Spec = [C, S, { proto: 17, payload: new Uint8Array(16) }, { fragOffset: 24, dontFragment: false, ident: 100 }];
    const a = await analyzeCapture(buildCapture([first, later, later, orphan]), { jobs: 1 });
    expect(flowRecords(a.connections)).toHaveLength(1);
    expect(flowRecords(a.connections)[0]).toMatchObject({ clientPort: 5000, packets: 3 });
    expect(a.unmatchedFragments).toBe(1);
  });

  it('keys IPv6 connections by full addresses', async () => {
    const list = await conns([...tcpConnection('2001:db8::1', 50000, '2001:db8::2', 443), ...tcpConnection('2001:db8::1:0:0:1', 50000, '2001:db8::2', 443)]);
    expect(list.map((c) => [c.family, c.client, c.server])).toEqual([
      [6, '2001:db8::1', '2001:db8::2'],
      [6, '2001:db8::1:0:0:1', '2001:db8::2'],
    ]);
  });

  it('sees a SYN-ACK the client acknowledged as completed even without the SYN', async () => {
    const list = await conns([
      [S, C, { proto: 'tcp', sport: 80, dport: 40000, flags: SYNACK }],
      [C, S, { proto: 'tcp', sport: 40000, dport: 80, flags: ACK }],
      [C, S, { proto: 'tcp', sport: 40000, dport: 80, flags: FIN_ACK }],
      [S, C, { proto: 'tcp', sport: 80, dport: 40000, flags: FIN_ACK }],
    ]);
    expect(list[0]).toMatchObject({ orientation: 'syn-ack', attempt: 'completed', state: 'SF' });
  });
});
