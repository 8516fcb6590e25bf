/**
 * tshark as an independent decoder: per frame, the innermost IP packet it dissects (the last IP layer that is not
 * quoted inside an ICMP error) with its transport fields. Used as the reference for decapsulation.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What tshark says about one frame's innermost packet; null fields are absent. */
export interface TsharkInner {
  frame: number;
  protocols: string;
  family: 4 | 6 | 0;
  src: string | null;
  dst: string | null;
  proto: number | null;
  sport: number | null;
  dport: number | null;
  tcpFlags: number | null;
  tcpSeq: number | null;
  tcpAck: number | null;
  icmpType: number | null;
  icmpCode: number | null;
  /** IP layers tshark opened (tunnel carriers, and the inner packet when it is IP). */
  ipLayers: number;
}

const FIELDS = [
  'frame.number',
  'frame.protocols',
  'ip.src',
  'ip.dst',
  'ip.proto',
  'ipv6.src',
  'ipv6.dst',
  'ipv6.nxt',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.flags',
  'tcp.seq_raw',
  'tcp.ack_raw',
  'udp.srcport',
  'udp.dstport',
  'icmp.type',
  'icmp.code',
  'icmpv6.type',
  'icmpv6.code',
];

/** Every frame of `file` as tshark decodes it (no reassembly, so each frame stands alone as in our decoder). */
export async function tsharkInner(file: string, extraArgs: string[] = []): Promise<TsharkInner[]> {
  const args = ['-n', '-r', file, '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', '-o', 'tcp.desegment_tcp_streams:FALSE', ...extraArgs, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  for (const f of FIELDS) args.push('-e', f);
  const { stdout } = await run('tshark', args, { maxBuffer: 256 << 20 });
  const out: TsharkInner[] = [];
  for (const line of stdout.split('\n')) {
    if (!line) continue;
    const c = line.split('\t');
    const get = (k: string): string[] => {
      const v = c[FIELDS.indexOf(k)] ?? '';
      return v === '' ? [] : v.split(',');
    };
    const protocols = get('frame.protocols').join(',');
    const layers = protocols.split(':');
    // IP layers outside ICMP quotes, in order; the innermost is the packet.
    let v4 = 0;
    let v6 = 0;
    let pick: { fam: 4 | 6; k: number; at: number } | null = null;
    let quoted = false;
    let ipLayers = 0;
    layers.forEach((l, at) => {
      if (l === 'icmp' || l === 'icmpv6') quoted = true;
      if (l === 'ip') {
        if (!quoted) {
          pick = { fam: 4, k: v4, at };
          ipLayers++;
        }
        v4++;
      } else if (l === 'ipv6') {
        if (!quoted) {
          pick = { fam: 6, k: v6, at };
          ipLayers++;
        }
        v6++;
      }
    });
    const num = (s: string | undefined): number | null => (s === undefined ? null : s.startsWith('0x') ? parseInt(s, 16) : Number(s));
    const rec: TsharkInner = { frame: Number(c[0]), protocols, family: 0, src: null, dst: null, proto: null, sport: null, dport: null, tcpFlags: null, tcpSeq: null, tcpAck: null, icmpType: null, icmpCode: null, ipLayers };
    // A tunnel whose payload is a non-IP frame (ARP in VXLAN): the innermost packet is not IP.
    if (pick !== null && layers.slice((pick as { at: number }).at + 1).includes('eth')) pick = null;
    if (pick !== null) {
      pick = pick as { fam: 4 | 6; k: number; at: number };
      rec.family = pick.fam;
      const p = pick.fam === 4 ? 'ip' : 'ipv6';
      rec.src = get(`${p}.src`)[pick.k] ?? null;
      if (rec.src === null) {
        // tshark names the layer but could not read its header (cut or malformed): not a packet either of us reads.
        rec.family = 0;
        rec.ipLayers--;
        out.push(rec);
        continue;
      }
      rec.dst = get(`${p}.dst`)[pick.k] ?? null;
      rec.proto = num(get(pick.fam === 4 ? 'ip.proto' : 'ipv6.nxt')[pick.k]);
      const t = layers.slice(pick.at + 1).find((l) => !l.startsWith('ipv6.'));
      if (t === 'tcp') {
        rec.sport = num(get('tcp.srcport').at(-1));
        rec.dport = num(get('tcp.dstport').at(-1));
        rec.tcpFlags = num(get('tcp.flags').at(-1));
        rec.tcpSeq = num(get('tcp.seq_raw').at(-1));
        rec.tcpAck = num(get('tcp.ack_raw').at(-1));
      } else if (t === 'udp') {
        rec.sport = num(get('udp.srcport').at(-1));
        rec.dport = num(get('udp.dstport').at(-1));
      } else if (t === 'icmp') {
        rec.icmpType = num(get('icmp.type')[0]);
        rec.icmpCode = num(get('icmp.code')[0]);
      } else if (t === 'icmpv6') {
        rec.icmpType = num(get('icmpv6.type')[0]);
        rec.icmpCode = num(get('icmpv6.code')[0]);
      }
    }
    out.push(rec);
  }
  return out;
}
