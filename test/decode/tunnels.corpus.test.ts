/**
 * Decapsulation against tshark on the corpus's real tunnel captures: for every frame, the innermost packet we decode
 * (addresses, protocol, ports, TCP flags/seq/ack, ICMP type/code, tunnel depth) equals the innermost IP packet
 * tshark dissects. Deviations are listed per file with their reason; one that appears, disappears or changes fails.
 */
import { it, expect } from 'vitest';
import { join } from 'node:path';
import { describeCorpus, CORPUS_DIR } from '../helpers/corpus.js';
import { hasTool, skipNote } from '../helpers/tools.js';
import { tsharkInner, type TsharkInner } from '../helpers/tshark.js';
import { summarizeCapture } from '../../src/pass/summary.js';
import { formatAddress as fmt4 } from '../../src/wire/ipv4.js';
import { formatAddress as fmt6 } from '../../src/wire/ipv6.js';
import type { PacketBatch } from '../../src/decode/batch.js';

const P = (s: string) => join(CORPUS_DIR, 'pcaps', s);

/** The corpus captures the issue names, and a few more with PPP, WCCP and MPLS. Frames listed deviate, with why. */
const FILES: Record<string, Record<number, string>> = {
  'the-tcpdump-group+tcpdump/tests/vxlan.pcap': {},
  'the-tcpdump-group+tcpdump/tests/geneve.pcap': {},
  'the-tcpdump-group+tcpdump/tests/various_gre.pcap': {},
  'zeek+zeek/testing/btest/Traces/tunnels/vxlan-encapsulated-http.pcap': {},
  'zeek+zeek/testing/btest/Traces/tunnels/gre-erspan3-dot1q.pcap': {},
  'zeek+zeek/testing/btest/Traces/tunnels/gre-within-gre.pcap': {},
  'zeek+zeek/testing/btest/Traces/tunnels/gre-sample.pcap': {},
  'zeek+zeek/testing/btest/Traces/tunnels/4in4.pcap': {},
  'zeek+zeek/testing/btest/Traces/tunnels/6in4.pcap': {},
  'zeek+zeek/testing/btest/Traces/tunnels/6in6.pcap': {},
  'zeek+zeek/testing/btest/Traces/tunnels/geneve-inner-tcp-bad-checksum.pcap': {},
  'OISF+suricata-verify/tests/bug-4571-01/ipv4_over_ipv4.pcap': {},
  'arkime+arkime/tests/pcap/6-4-gre-ppp-udp-4-dns.pcap': {},
  'OISF+suricata-verify/tests/defrag/bug-6942-6887-defrag-eth-ip-gre-ppp-ip-udp-data/eth-ip-gre-ppp-max-ip-packet.pcap': {},
  'ntop+nDPI/tests/cfgs/default/pcap/gre.pcapng': {},
  'the-tcpdump-group+tcpdump/tests/wccp_redirect_gre.pcap': {},
  'zeek+zeek/testing/btest/Traces/tunnels/mpls-6in6-6in6-4in6-invalid-version-4.pcap': {},
  'zeek+zeek/testing/btest/Traces/trunc/mpls-6in6-6in6-4in6-trunc.pcap': {},
  'the-tcpdump-group+tcpdump/tests/bigtcp-ipv6-vxlan-ipv6.pcap': {
    1: 'IPv6 big TCP over VXLAN: payload lengths 0 without a jumbo option (RFC 2675 style, as Linux sends big TCP); tshark stops at the outer UDP, we take the lengths from the frame and open the VXLAN it carries',
  },
};

interface Row {
  text: string;
  depth: number;
}

function ourText(b: PacketBatch, i: number): Row {
  const fam = b.family[i]!;
  if (fam === 0) return { text: 'not ip', depth: b.tunnelDepth[i]! };
  const base = 4 * i;
  const a = (arr: Uint32Array) => (fam === 4 ? fmt4(arr[base]!) : fmt6(arr[base]!, arr[base + 1]!, arr[base + 2]!, arr[base + 3]!));
  const proto = b.proto[i]!;
  let t = `ipv${fam} ${a(b.src)} > ${a(b.dst)} proto ${proto}`;
  if (b.layer[i] === 3 && (proto === 6 || proto === 17)) t += ` ports ${b.sport[i]} > ${b.dport[i]}`;
  if (b.layer[i] === 3 && proto === 6) t += ` flags ${b.tcpFlags[i]} seq ${b.tcpSeq[i]} ack ${b.tcpAck[i]}`;
  if (b.layer[i] === 3 && (proto === 1 || proto === 58)) t += ` icmp ${b.icmpType[i]}/${b.icmpCode[i]}`;
  return { text: t, depth: b.tunnelDepth[i]! };
}

function theirText(r: TsharkInner, fragment: boolean): string {
  if (r.family === 0) return 'not ip';
  let t = `ipv${r.family} ${r.src} > ${r.dst} proto ${r.proto}`;
  if (fragment) return t;
  if (r.proto === 6 || r.proto === 17) t += ` ports ${r.sport} > ${r.dport}`;
  if (r.proto === 6) t += ` flags ${r.tcpFlags} seq ${r.tcpSeq} ack ${r.tcpAck}`;
  if ((r.proto === 1 || r.proto === 58) && r.icmpType !== null) t += ` icmp ${r.icmpType}/${r.icmpCode}`;
  return t;
}

describeCorpus('decapsulation equals tshark on the corpus tunnel captures', () => {
  skipNote('tshark', 'decapsulation vs tshark');
  for (const [file, deviations] of Object.entries(FILES)) {
    it.skipIf(!hasTool('tshark'))(file.split('/').pop()!, { timeout: 120_000 }, async () => {
      const ours: Row[] = [];
      const frags: boolean[] = [];
      const summary = await summarizeCapture(P(file), { jobs: 1 }, (b) => {
        for (let i = 0; i < b.length; i++) {
          ours.push(ourText(b, i));
          frags.push(b.frag[i] === 2);
        }
      });
      const theirs = await tsharkInner(P(file));
      expect(ours.length).toBe(theirs.length);
      const found: Record<number, string> = {};
      let tunnelled = 0;
      for (let k = 0; k < theirs.length; k++) {
        const want = theirText(theirs[k]!, frags[k]!);
        const got = ours[k]!;
        const depthWant = theirs[k]!.family === 0 ? theirs[k]!.ipLayers : theirs[k]!.ipLayers - 1;
        if (got.text !== want || got.depth !== depthWant) found[k + 1] = `ours: ${got.text} (depth ${got.depth}); tshark: ${want} (depth ${depthWant}) [${theirs[k]!.protocols}]`;
        if (got.depth > 0) tunnelled++;
      }
      const expected = Object.fromEntries(Object.keys(deviations).map((f) => [Number(f), expect.any(String)]));
      expect(found).toEqual(expected);
      // Every listed deviation says why; the capture really holds tunnels and we opened them.
      expect(tunnelled).toBeGreaterThan(0);
      expect(summary.tunnels.length).toBeGreaterThan(0);
    });
  }
});
