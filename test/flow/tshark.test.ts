/**
 * TCP connections against tshark's `-z conv,tcp` on every corpus capture tshark reads (an independent dissector).
 * Deviations are listed with their reason; a deviation that appears, disappears or changes size fails the test.
 */
import { it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describeCorpus, corpusIndex } from '../helpers/corpus.js';
import { hasTool, skipNote } from '../helpers/tools.js';
import { analyzeCapture } from '../../src/analyze/capture.js';
import { flowRecords } from '../helpers/tables.js';

const run = promisify(execFile);

type Deviation = { tsharkOnly?: number; oursOnly?: number; countDiff?: number; reason: string };

const TUNNEL = 'tshark also dissects the TCP inside a GTP-U tunnel, which we do not open (VXLAN, GENEVE, GRE and IP-in-IP we do)';
const LINK = 'link type we do not decode to IP (counted per link type in `info`)';
const MALFORMED = 'tshark marks the packet malformed and adds no conversation; we key the addresses and ports we can read';

const DEVIATIONS: Record<string, Deviation> = {
  'arkime+arkime/tests/pcap/gtp-iphone.pcap': { tsharkOnly: 1, reason: TUNNEL },
  'ntop+nDPI/tests/cfgs/default/pcap/reasm_segv_anon.pcapng': { tsharkOnly: 1, reason: TUNNEL },
  'arkime+arkime/tests/pcap/80211http.pcap': { tsharkOnly: 1, reason: `${LINK}: IEEE 802.11 (105)` },
  'arkime+arkime/tests/pcap/nflog.pcap': { tsharkOnly: 1, reason: `${LINK}: NFLOG (239)` },
  'zeek+zeek/testing/btest/Traces/nflog-http.pcap': { tsharkOnly: 1, reason: `${LINK}: NFLOG (239)` },
  'the-tcpdump-group+libpcap/tests/filter/http_PPI.pcap': { tsharkOnly: 1, reason: `${LINK}: PPI (192)` },
  'the-tcpdump-group+tcpdump/tests/arcnet-rfc1201-arp-icmp-http.pcap': { tsharkOnly: 1, reason: `${LINK}: ARCNET (7)` },
  'the-tcpdump-group+tcpdump/tests/ipoib.pcap': { tsharkOnly: 6, reason: `${LINK}: IP over InfiniBand (242)` },
  'ntop+nDPI/tests/cfgs/default/pcap/fuzz-2006-09-29-28586.pcap': { oursOnly: 1, countDiff: 1, reason: `${MALFORMED} (fuzzed file)` },
  'the-tcpdump-group+tcpdump/tests/heapoverflow-tcp_print.pcap': { oursOnly: 1, reason: MALFORMED },
  'the-tcpdump-group+tcpdump/tests/tcp-auth-heapoverflow.pcap': { oursOnly: 1, reason: MALFORMED },
  'the-tcpdump-group+tcpdump/tests/mptcp-dss-oobr.pcap': { oursOnly: 1, reason: MALFORMED },
  'the-tcpdump-group+tcpdump/tests/bigtcp-ipv6-vxlan-ipv6.pcap': { oursOnly: 1, reason: 'IPv6 big TCP inside VXLAN (payload lengths 0): tshark stops at the outer UDP, we open the VXLAN and key the inner TCP' },
  'the-tcpdump-group+tcpdump/tests/bigtcp-ipv6.pcap': { oursOnly: 1, reason: 'IPv6 big TCP (payload length 0, no jumbo option): tshark calls it malformed, Linux sends it (RFC 2675 style)' },
  'zeek+zeek/testing/btest/Traces/ipv4/fragmented-3.pcap': { oursOnly: 1, reason: 'the TCP header is in a first fragment whose datagram never completes: tshark waits for reassembly, we key the first fragment' },
  'zeek+zeek/testing/btest/Traces/chksums/ip6-route0-tcp-bad-chksum.pcap': { tsharkOnly: 1, oursOnly: 1, reason: 'routing header type 0: tshark keys the final destination from the header, we key the destination in the packet, which is what an ACL sees' },
  'OISF+suricata-verify/tests/tcp-split-handshake-02-5whs/split-handshake-5whs.pcap': { countDiff: 1, reason: 'five-way handshake (both sides send a SYN): tshark opens a second stream, we keep one connection' },
};

function tuple(a: string, ap: number, b: string, bp: number): string {
  return a < b || (a === b && ap <= bp) ? `${a}|${ap}|${b}|${bp}` : `${b}|${bp}|${a}|${ap}`;
}

async function tsharkConversations(file: string): Promise<Map<string, number>> {
  const { stdout } = await run('tshark', ['-n', '-q', '-z', 'conv,tcp', '-r', file], { maxBuffer: 64 << 20 });
  const out = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    const m = /^(\S+):(\d+)\s+<->\s+(\S+):(\d+)\s/.exec(line);
    if (!m) continue;
    const k = tuple(m[1]!, Number(m[2]), m[3]!, Number(m[4]));
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

async function ourConnections(file: string): Promise<Map<string, number>> {
  const a = await analyzeCapture(file, { jobs: 1 });
  const out = new Map<string, number>();
  for (const c of flowRecords(a.connections)) {
    if (c.proto !== 'tcp') continue;
    const k = tuple(c.client, c.clientPort!, c.server, c.serverPort!);
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

describeCorpus('TCP connections equal tshark -z conv,tcp', () => {
  skipNote('tshark', 'tshark comparison');
  it.skipIf(!hasTool('tshark'))('on every capture tshark reads', { timeout: 600_000 }, async () => {
    const entries = corpusIndex().filter((e) => !e.flags.includes('READ-ERROR') && e.capinfosPackets !== null && !e.path.includes('pcap-invalid-version'));
    const found: Record<string, { tsharkOnly?: number; oursOnly?: number; countDiff?: number }> = {};
    let same = 0;
    const queue = [...entries];
    const worker = async () => {
      for (let e = queue.shift(); e; e = queue.shift()) {
        const [theirs, ours] = await Promise.all([tsharkConversations(e.abs), ourConnections(e.abs)]);
        let tsharkOnly = 0;
        let oursOnly = 0;
        let countDiff = 0;
        for (const [k, n] of theirs) if (!ours.has(k)) tsharkOnly++;
        else if (ours.get(k) !== n) countDiff++;
        for (const k of ours.keys()) if (!theirs.has(k)) oursOnly++;
        if (tsharkOnly || oursOnly || countDiff) {
          found[e.path] = { ...(tsharkOnly ? { tsharkOnly } : {}), ...(oursOnly ? { oursOnly } : {}), ...(countDiff ? { countDiff } : {}) };
        } else same++;
      }
    };
    await Promise.all([worker(), worker()]);
    const expected = Object.fromEntries(Object.entries(DEVIATIONS).map(([k, { reason: _r, ...rest }]) => [k, rest]));
    expect(found).toEqual(expected);
    expect(same).toBeGreaterThan(330);
  });
});
