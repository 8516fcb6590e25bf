/**
 * The port strip: destination ports 0-65535 left to right, with the port-range profiles as labelled bands, one
 * row per protocol showing the ports the rules allow and deny (and the deciding rule), and under each row the
 * ports the capture actually used, one lane per outcome. Ports 0-1023 get their own enlarged panel at the left,
 * so single service ports (22, 53, 80) are visible next to the 64512 ephemeral-capable ports.
 */
import { html, num, count, textWidth, type Html } from './escape.js';
import { TONES } from './palette.js';
import type { PortStripModel } from '../../analyze/strips.js';

export type { PortStripModel, ProfileBand, StripLane, StripMarker, StripRow, StripSegment } from '../../analyze/strips.js';

/** Horizontal geometry in viewBox units. */
export const STRIP = {
  width: 1000,
  /** Left edge of the plot; the gutter left of it holds the row labels. */
  x0: 190,
  /** Width of the 0-1023 panel. */
  lowWidth: 110,
  /** Gap between the panels. */
  gap: 14,
  /** Right edge of the plot (port 65535 ends here). */
  x1: 960,
} as const;

const LOW_END = 1024;
const XB0 = STRIP.x0 + STRIP.lowWidth + STRIP.gap;
const LOW_SCALE = STRIP.lowWidth / LOW_END;
const HIGH_SCALE = (STRIP.x1 - XB0) / (65536 - LOW_END);
/** How much the 0-1023 panel is enlarged relative to the rest. */
export const LOW_ZOOM = LOW_SCALE / HIGH_SCALE;
/** Narrowest mark drawn, so a single port stays visible. */
export const MIN_MARK = 1.6;

/** Left edge of port p (p = 65536 is the right edge of the plot). */
export function portX(p: number): number {
  return p < LOW_END ? STRIP.x0 + p * LOW_SCALE : XB0 + (p - LOW_END) * HIGH_SCALE;
}

/** Right edge of port p. */
function portRight(p: number): number {
  return p === LOW_END - 1 ? STRIP.x0 + STRIP.lowWidth : portX(p + 1);
}

/** Where a tick for port p goes: its left edge, except the last port (the right end of the plot). */
export function tickX(p: number): number {
  return p >= 65535 ? STRIP.x1 : portX(p);
}

/** The rectangles of an inclusive port range: one per panel it touches, at least MIN_MARK wide, never leaving its panel. */
export function rangeRects(lo: number, hi: number): { x: number; w: number }[] {
  const out: { x: number; w: number }[] = [];
  const part = (a: number, b: number, left: number, right: number) => {
    let x = portX(a);
    let w = portRight(b) - x;
    if (w < MIN_MARK) {
      x = Math.min(Math.max(x + w / 2 - MIN_MARK / 2, left), right - MIN_MARK);
      w = MIN_MARK;
    }
    out.push({ x, w });
  };
  if (lo < LOW_END) part(lo, Math.min(hi, LOW_END - 1), STRIP.x0, STRIP.x0 + STRIP.lowWidth);
  if (hi >= LOW_END) part(Math.max(lo, LOW_END), hi, XB0, STRIP.x1);
  return out;
}

/** Ports labelled on the axis (issue 6): the profile edges engineers know by heart. */
export const AXIS_PORTS = [0, 1024, 5000, 10000, 32768, 49152, 60999, 65535] as const;

/** Rows (0, 1, ...) for centred labels so that none overlaps another on its row; in x order. */
export function stackLabels(items: { x: number; width: number }[], gap = 4): number[] {
  const ends: number[] = [];
  return items.map((it) => {
    const left = it.x - it.width / 2;
    let row = ends.findIndex((end) => left >= end + gap);
    if (row < 0) row = ends.length;
    ends[row] = it.x + it.width / 2;
    return row;
  });
}

/**
 * Left edges for labels wanting to start near x (in x order) on one line between min and max: each is pushed
 * right past the previous one; labels that no longer fit get null.
 */
export function placeAlong(items: { x: number; width: number }[], min: number, max: number, gap = 4): (number | null)[] {
  let end = min - gap;
  return items.map((it) => {
    const left = Math.max(it.x - it.width / 2, end + gap, min);
    if (left + it.width > max) return null;
    end = left + it.width;
    return left;
  });
}

const BAND_ROW = 15;
const BAND_H = 11;
const RULE_H = 20;
const LANE_H = 16;
const CALLOUT_H = 14;
const ROW_GAP = 12;
const SMALL_FONT = 11;
const BIN = 2;

function dataAttrs(data: [string, string][]): Html {
  return html`${data.map(([k, v]) => {
    if (!/^[a-z][a-z0-9-]*$/.test(k)) throw new Error(`bad data attribute name ${k}`);
    return html` data-${k}="${v}"`;
  })}`;
}

/** Histogram bins of a lane: marks closer than BIN units share a bar. */
export function laneBins(ports: number[], detail?: string[]): { x: number; count: number; lo: number; hi: number; detail: Map<string, number> }[] {
  const bins = new Map<number, { x: number; count: number; lo: number; hi: number; detail: Map<string, number> }>();
  ports.forEach((p, i) => {
    const r = rangeRects(p, p)[0]!;
    const key = Math.floor((r.x + r.w / 2) / BIN);
    let b = bins.get(key);
    if (b) {
      b.count++;
      b.lo = Math.min(b.lo, p);
      b.hi = Math.max(b.hi, p);
    } else bins.set(key, (b = { x: key * BIN, count: 1, lo: p, hi: p, detail: new Map() }));
    const d = detail?.[i];
    if (d !== undefined) b.detail.set(d, (b.detail.get(d) ?? 0) + 1);
  });
  return [...bins.values()].sort((a, b) => a.x - b.x);
}

function portsText(lo: number, hi: number): string {
  return lo === hi ? String(lo) : `${lo}–${hi}`;
}

/** The strip as one SVG element. */
export function renderPortStrip(m: PortStripModel): Html {
  const parts: Html[] = [];
  let y = 6;
  // Marker labels get their own line at the top, above the bands.
  const markerY = y + 10;
  if (m.markers?.length) y += 16;
  const top = y;
  // Profile bands.
  for (const b of m.bands) {
    const [r] = rangeRects(b.range[0], b.range[1]).slice(-1);
    const all = rangeRects(b.range[0], b.range[1]);
    const text = `${portsText(b.range[0], b.range[1])}${b.note ? ` · ${b.note}` : ''}`;
    const tw = textWidth(text, SMALL_FONT);
    const inside = r!.w >= tw + 10;
    const right = r!.x + r!.w + 5 + tw <= STRIP.width - 2;
    const tx = inside ? r!.x + 5 : right ? r!.x + r!.w + 5 : all[0]!.x - 5 - tw;
    parts.push(html`<g class="band" data-profile="${b.key}" data-lo="${b.range[0]}" data-hi="${b.range[1]}"><title>${b.title}</title>
<text class="gutter" x="${STRIP.x0 - 8}" y="${num(y + BAND_H - 2)}" text-anchor="end">${b.label}</text>
${all.map((q) => html`<rect class="band-bar" x="${num(q.x)}" y="${num(y)}" width="${num(q.w)}" height="${BAND_H}" rx="2"/>`)}
<text class="band-text" x="${num(tx)}" y="${num(y + BAND_H - 2)}">${text}</text></g>`);
    y += BAND_ROW;
  }
  if (m.bands.length) y += 6;
  const gridTop = top;
  // Rule rows and lanes.
  const maxCount = Math.max(1, ...m.rows.flatMap((row) => row.lanes.flatMap((l) => laneBins(l.ports).map((b) => b.count))));
  for (const row of m.rows) {
    parts.push(html`<g class="strip-row" data-row="${row.label}">`);
    const segs = row.segments ?? [];
    // Which allowed segments are too narrow for a label inside: they get callouts above the row.
    const labelled = segs.map((s) => {
      const rects = rangeRects(s.lo, s.hi);
      const widest = rects.reduce((a, b) => (b.w > a.w ? b : a));
      const candidates = s.allowed
        ? [s.rule ? `allow · rule ${s.rule}` : 'allow', s.rule ? `rule ${s.rule}` : '', s.rule ?? '']
        : [s.rule ? `deny · ${s.rule === '*' ? 'default *' : `rule ${s.rule}`}` : 'deny', s.rule ? (s.rule === '*' ? '*' : `rule ${s.rule}`) : '', 'deny'];
      const fit = candidates.find((t) => t && textWidth(t, SMALL_FONT) + 8 <= widest.w) ?? null;
      return { s, rects, widest, fit };
    });
    const callouts = labelled.filter((l) => l.s.allowed && !l.fit);
    const calloutX = placeAlong(
      callouts.map((c) => ({ x: c.widest.x + c.widest.w / 2, width: textWidth(portsText(c.s.lo, c.s.hi), SMALL_FONT) })),
      STRIP.x0 - 4,
      STRIP.x1 + 36,
      5,
    );
    if (callouts.length) {
      callouts.forEach((c, i) => {
        const left = calloutX[i];
        if (left === null || left === undefined) return;
        const text = portsText(c.s.lo, c.s.hi);
        const cx = c.widest.x + c.widest.w / 2;
        parts.push(html`<g class="callout"><title>${c.s.title}</title><text x="${num(left)}" y="${num(y + CALLOUT_H - 5)}">${text}</text><line x1="${num(cx)}" y1="${num(y + CALLOUT_H - 2)}" x2="${num(cx)}" y2="${num(y + CALLOUT_H + 1)}"/></g>`);
      });
      const dropped = calloutX.filter((x) => x === null).length;
      if (dropped) parts.push(html`<text class="callout-more" x="${STRIP.x1}" y="${num(y + CALLOUT_H - 5)}" text-anchor="end">+${dropped} more (see rules)</text>`);
      y += CALLOUT_H;
    }
    if (!row.segments) {
      // No rule row: the label heads the lanes.
      parts.push(html`<text class="row-label" x="${STRIP.x0 - 8}" y="${num(y + 11)}" text-anchor="end">${row.label}</text>`);
      y += 15;
    } else parts.push(html`<text class="row-label" x="${STRIP.x0 - 8}" y="${num(y + RULE_H / 2 + 4)}" text-anchor="end">${row.label}</text>`);
    if (row.segments) {
      for (const l of labelled) {
        const tone = TONES[l.s.allowed ? 'allow' : 'deny'];
        parts.push(html`<g class="seg ${l.s.allowed ? 'allow' : 'deny'}" data-lo="${l.s.lo}" data-hi="${l.s.hi}" data-rule="${l.s.rule ?? ''}"><title>${l.s.title}</title>${l.rects.map(
          (q) => html`<rect x="${num(q.x)}" y="${num(y)}" width="${num(q.w)}" height="${RULE_H}" fill="${tone.fill}"/>`,
        )}${l.fit ? html`<text class="${l.s.allowed ? 'seg-text-on' : 'seg-text'}" x="${num(l.widest.x + l.widest.w / 2)}" y="${num(y + RULE_H / 2 + 4)}" text-anchor="middle">${l.fit}</text>` : ''}</g>`);
      }
      parts.push(html`<rect class="row-frame" x="${STRIP.x0}" y="${num(y)}" width="${STRIP.lowWidth}" height="${RULE_H}"/><rect class="row-frame" x="${XB0}" y="${num(y)}" width="${num(STRIP.x1 - XB0)}" height="${RULE_H}"/>`);
      y += RULE_H + 3;
    }
    for (const lane of row.lanes) {
      const tone = TONES[lane.tone];
      const n = lane.ports.length;
      parts.push(html`<g class="lane" data-tone="${lane.tone}" data-count="${n}">
<text class="lane-label" x="${STRIP.x0 - 8}" y="${num(y + LANE_H - 4)}" text-anchor="end"><tspan class="sym" fill="${tone.color}">${tone.symbol}</tspan> ${lane.label} (${count(n)})</text>
<line class="lane-base" x1="${STRIP.x0}" x2="${STRIP.x1}" y1="${num(y + LANE_H)}" y2="${num(y + LANE_H)}"/>
${laneBins(lane.ports, lane.detail).map((b) => {
  const h = 6 + (LANE_H - 7) * Math.sqrt(b.count / maxCount);
  const detail = b.detail.size ? ` (${[...b.detail].map(([k, v]) => `${k} ${count(v)}`).join(', ')})` : '';
  return html`<rect class="tick" data-count="${b.count}" x="${num(b.x)}" y="${num(y + LANE_H - h)}" width="2.6" height="${num(h)}" fill="${tone.color}"><title>${lane.label}: ${count(b.count)} ${b.count === 1 ? lane.noun.replace(/s$/, '') : lane.noun}${detail}, ${lane.what} ${portsText(b.lo, b.hi)}</title></rect>`;
})}</g>`);
      y += LANE_H + 2;
    }
    parts.push(html`</g>`);
    y += ROW_GAP;
  }
  const gridBottom = y - ROW_GAP + 2;
  // Grid lines at the axis ports and at the panel break.
  const grid = AXIS_PORTS.map((p) => html`<line class="grid" x1="${num(tickX(p))}" x2="${num(tickX(p))}" y1="${gridTop}" y2="${num(gridBottom)}"/>`);
  // Markers (e.g. a failure threshold).
  const markers = (m.markers ?? []).map((mk) => {
    const x = portX(mk.port);
    return html`<g class="marker" data-port="${mk.port}"><title>${mk.title}</title><line x1="${num(x)}" x2="${num(x)}" y1="${num(markerY - 10)}" y2="${num(gridBottom + 4)}"/><text x="${num(x + 4)}" y="${num(markerY)}">${mk.label}</text></g>`;
  });
  // Axis.
  const axisY = gridBottom + 2;
  const ticks = AXIS_PORTS.map((p) => ({ p, x: tickX(p), width: textWidth(String(p), SMALL_FONT) }));
  const rows = stackLabels(ticks.map((t) => ({ x: t.x, width: t.width })));
  const maxRow = Math.max(0, ...rows);
  const axis = html`<g class="axis">
<line x1="${STRIP.x0}" x2="${num(STRIP.x0 + STRIP.lowWidth)}" y1="${num(axisY)}" y2="${num(axisY)}"/>
<line x1="${XB0}" x2="${STRIP.x1}" y1="${num(axisY)}" y2="${num(axisY)}"/>
<text class="break" x="${num(STRIP.x0 + STRIP.lowWidth + STRIP.gap / 2)}" y="${num(axisY + 4)}" text-anchor="middle">≈</text>
${ticks.map((t, i) => html`<line x1="${num(t.x)}" x2="${num(t.x)}" y1="${num(axisY)}" y2="${num(axisY + 5)}"/><text class="tick-label" x="${num(t.x)}" y="${num(axisY + 17 + rows[i]! * 12)}" text-anchor="middle">${t.p}</text>`)}
<text class="axis-note" x="${num(STRIP.x0 + STRIP.lowWidth / 2)}" y="${num(axisY + 29 + maxRow * 12)}" text-anchor="middle">0–1023 enlarged ×${Math.round(LOW_ZOOM)}</text>
<text class="axis-title" x="${num((XB0 + STRIP.x1) / 2)}" y="${num(axisY + 29 + maxRow * 12)}" text-anchor="middle">destination port</text>
</g>`;
  const height = axisY + 36 + maxRow * 12;
  return html`<svg class="port-strip" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${STRIP.width} ${num(height)}" role="img" aria-label="${m.label}"${dataAttrs(m.data)}><title>${m.label}</title>
${grid}${parts}${markers}${axis}</svg>`;
}
