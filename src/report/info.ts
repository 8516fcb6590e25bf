/** Renders a CaptureSummary for people (aligned text) or machines (JSON). */
import type { CaptureSummary } from '../pass/summary.js';
import { keyValues, table, isoTime, count, terminalText } from './text.js';
import { jsonText } from '../text/json.js';

export function renderInfoText(s: CaptureSummary): string {
  const fmt =
    s.format === 'pcap'
      ? `pcap ${s.version}, ${s.byteOrder}, ${s.timestampPrecision === 'ns' ? 'nanosecond' : 'microsecond'} timestamps, snaplen ${s.snaplen}`
      : `pcapng ${s.version}, ${s.byteOrder}, ${s.sections.length} section${s.sections.length === 1 ? '' : 's'}`;
  const d = s.decoded;
  const pairs: [string, string][] = [
    ['file', s.file + (s.compression ? ` (${s.compression})` : '')],
    ['format', fmt],
    ['link types', s.linkTypes.length ? s.linkTypes.map((l) => `${l.name} (${l.linkType}): ${count(l.packets)}`).join(', ') : '-'],
    ['packets', count(s.packets)],
    ['bytes', `${count(s.bytes)} on the wire, ${count(s.capturedBytes)} captured`],
    [
      'time span',
      s.firstTs === null ? '-' : `${isoTime(s.firstTs)} .. ${isoTime(s.lastTs!)} (${s.duration.toFixed(6)} s)${s.outOfOrder ? `, ${count(s.outOfOrder)} out of order` : ''}`,
    ],
    ['decoded', `ipv4 ${count(d.ipv4)}  ipv6 ${count(d.ipv6)}  tcp ${count(d.tcp)}  udp ${count(d.udp)}  icmp ${count(d.icmp)}  other ${count(d.other)}`],
    ['anomalies', `${count(s.truncatedPackets)} truncated, ${count(s.malformedPackets)} malformed, ${count(s.fragments)} fragments${s.duplicates ? `, ${count(s.duplicates)} mirrored duplicates dropped` : ''}`],
  ];
  const totals = Object.entries(s.problemTotals);
  pairs.push(['problems', totals.length ? totals.map(([k, n]) => `${k} ${count(n)}`).join(', ') + (s.incomplete ? ' (reading stopped early)' : '') : 'none']);
  let out = keyValues(pairs);
  if (s.format === 'pcapng') {
    const rows: (string | number | null)[][] = [];
    s.sections.forEach((sec, si) => {
      for (const f of sec.interfaces) {
        rows.push([si, sec.byteOrder === 'little-endian' ? 'le' : 'be', f.index, `${f.linkTypeName} (${f.linkType})`, f.snaplen, tsresolText(f.tsresol), f.name, f.packets]);
      }
    });
    if (rows.length) out += '\n' + table(['section', 'order', 'if', 'link type', 'snaplen', 'tsresol', 'name', 'packets'], rows);
  }
  if (s.tunnels.length) {
    const rows = s.tunnels.map((t, k) => [
      k,
      t.inside === null ? '-' : t.inside,
      t.kind,
      t.depth,
      `${t.outerSrc} -> ${t.outerDst}`,
      t.vni ?? t.key ?? t.session ?? '-',
      t.gwlbEndpoint ?? '-',
      t.gwlbAttachment ?? '-',
      t.packets,
    ]);
    out += '\n' + table(['tunnel', 'inside', 'kind', 'depth', 'outer', 'vni/key', 'gwlb endpoint', 'attachment', 'packets'], rows);
  }
  if (s.problems.length) {
    out += '\n' + table(['offset', 'kind', 'message'], s.problems.map((p) => [p.offset, p.kind, p.message]));
    const shown = s.problems.length;
    const total = Object.values(s.problemTotals).reduce((a, b) => a + b, 0);
    if (total > shown) out += `(first ${shown} of ${count(total)} problems shown)\n`;
  }
  return terminalText(out);
}

function tsresolText(r: number): string {
  return r & 0x80 ? `2^-${r & 0x7f}` : `10^-${r}`;
}

export function renderInfoJson(s: CaptureSummary): string {
  return jsonText(s, 2) + '\n';
}
