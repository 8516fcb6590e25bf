/** Likely --subnet values: the networks around the servers with the most connections. */
import { formatCidr, maskWords } from '../acl/model.js';
import { KeyIndex } from '../flow/keyindex.js';
import { isIcmpOrientation, isFirstPacketOrientation } from '../flow/orient.js';
import type { ConnectionTable } from '../flow/connections.js';

/** Per family, the prefixes tried around a server, widest first. */
const PREFIXES = { 4: [24, 28, 32], 6: [64, 112, 128] } as const;

function maskWord(w: number, bits: number): number {
  return bits >= 32 ? w : bits <= 0 ? 0 : (w & (0xffffffff << (32 - bits))) >>> 0;
}

/** The /24 (IPv4) or /64 (IPv6) networks of the servers with the most connections: likely --subnet values. */
export function suggestSubnets(ct: ConnectionTable, n = 3): string[] {
  // Per connection, the widest of these networks around the server that leaves the client outside: a subnet the
  // connection really crosses (a client in the server's /24 gives the server's /28, or the host itself).
  // Networks are keyed by their masked words, one index per family and prefix; counts by network id, in order of
  // first count.
  const index = new Map<number, KeyIndex>();
  const nets: { family: 4 | 6; words: [number, number, number, number]; prefix: number }[] = [];
  const counts: number[] = [];
  const words = ct.addresses.words;
  const m = new Uint32Array(4);
  for (let i = 0; i < ct.count; i++) {
    const o = ct.orientation[i]!;
    if (isIcmpOrientation(o) || isFirstPacketOrientation(o)) continue;
    const family = ct.family[i] as 4 | 6;
    const s = 4 * ct.server[i]!;
    const c = 4 * ct.client[i]!;
    for (const prefix of PREFIXES[family]) {
      let inside = true;
      m.fill(0);
      for (let w = 0; w < (family === 4 ? 1 : 4); w++) {
        const bits = prefix - 32 * w;
        m[w] = maskWord(words[s + w]!, bits);
        if (maskWord(words[c + w]!, bits) !== m[w]) inside = false;
      }
      if (inside) continue;
      const key = family * 256 + prefix;
      let ix = index.get(key);
      if (!ix) index.set(key, (ix = new KeyIndex(64)));
      const known = ix.count;
      const k = ix.intern(m[0]!, m[1]!, m[2]!, m[3]!);
      if (ix.count > known) {
        ix.values[k] = nets.length;
        nets.push({ family, words: [m[0]!, m[1]!, m[2]!, m[3]!], prefix });
        counts.push(0);
      }
      counts[ix.values[k]!]!++;
      break;
    }
  }
  return counts
    .map((count, id) => ({ count, id }))
    .sort((a, b) => b.count - a.count)
    .slice(0, n)
    .map(({ id }) => {
      const net = nets[id]!;
      return formatCidr({ family: net.family, words: maskWords(net.family, net.words, net.prefix), prefix: net.prefix });
    });
}
