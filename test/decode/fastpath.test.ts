/** The decoder's fast path (unfragmented IPv4 TCP/UDP over Ethernet) writes exactly what the general path writes. */
import { it, expect, afterAll } from 'vitest';
import { join } from 'node:path';
import { setFastPath } from '../../src/decode/parser.js';
import { summarizeCapture } from '../../src/pass/summary.js';
import type { PacketBatch } from '../../src/decode/batch.js';
import { describeCorpus, corpusIndex, REPO_ROOT } from '../helpers/corpus.js';

/** Every meaningful column of every packet, as text (columns that the layer says are unset are left out). */
async function rows(file: string): Promise<{ rows: string[]; problems: unknown }> {
  const out: string[] = [];
  const s = await summarizeCapture(file, { jobs: 1 }, (b: PacketBatch) => {
    for (let i = 0; i < b.length; i++) {
      const fam = b.family[i]!;
      let r = `${b.layer[i]} ${b.anomaly[i]} ${fam} ${b.proto[i]} ${b.frag[i]} ${b.appFlags[i]}`;
      if (fam !== 0) r += ` ${b.ttl[i]} ${b.src[4 * i]} ${b.dst[4 * i]} ${b.sport[i]} ${b.dport[i]} ${b.tcpFlags[i]} ${b.payloadLen[i]} ${b.ipId[i]} ${b.wireLen[i]}`;
      if (b.tunnelDepth[i]) r += ` tunnel ${b.tunnelDepth[i]} ${b.tunnelKind[i]} ${b.tunnelVni[i]} ${b.tunnelId[i]} ${b.sessionKey[i]}`;
      if (fam !== 0 && b.proto[i] === 6 && b.layer[i] === 3) {
        r += ` ${b.tcpSeq[i]} ${b.tcpAck[i]} ${b.tcpWindow[i]}`;
        if (b.tcpFlags[i]! & 2) r += ` ${b.tcpOptLayout[i]} ${b.tcpOptCount[i]} ${b.tcpMss[i]} ${b.tcpWscale[i]}`;
      }
      out.push(r);
    }
  });
  return { rows: out, problems: s.problemTotals };
}

afterAll(() => setFastPath(true));

it('recorded captures: same rows with and without the fast path', async () => {
  for (const f of ['mixed-clients.pcap', 'return-drop.pcap', 'ipv6-and-frag.pcap', 'return-drop-udp.pcap', ...['direct', 'vxlan', 'vxlan-truncated', 'geneve-gwlb', 'vxlan-in-geneve', 'both-ends'].map((m) => `mirror/${m}.pcap`)]) {
    setFastPath(true);
    const fast = await rows(join(REPO_ROOT, 'captures', f));
    setFastPath(false);
    const slow = await rows(join(REPO_ROOT, 'captures', f));
    expect(fast, f).toEqual(slow);
  }
});

describeCorpus('fast path on the corpus', () => {
  it('every readable capture decodes to the same rows and problems both ways', { timeout: 120_000 }, async () => {
    let packets = 0;
    for (const e of corpusIndex()) {
      if (e.flags.includes('READ-ERROR') || e.path.includes('pcap-invalid-version')) continue;
      setFastPath(true);
      const fast = await rows(e.abs);
      setFastPath(false);
      const slow = await rows(e.abs);
      expect(fast, e.path).toEqual(slow);
      packets += fast.rows.length;
    }
    expect(packets).toBeGreaterThan(200_000);
  });
});
