/** Small charts: stacked outcome bars per candidate, legends with swatches, and per-rule hit bars. */
import { html, num, count, textWidth, type Html } from './escape.js';
import { TONES, OUTCOME_MEANING, type Tone } from './palette.js';
import { OUTCOMES, type Outcome } from '../../verdict/outcomes.js';

/** A small legend square filled like the marks it explains. */
export function swatch(tone: Tone): Html {
  const t = TONES[tone];
  return html`<svg class="swatch" viewBox="0 0 22 14" aria-hidden="true"><rect x="0.5" y="0.5" width="21" height="13" fill="${t.fill}" stroke="${t.color}"/></svg>`;
}

/** Legend of the connection outcomes, each with its pattern, symbol, word and meaning. */
export function outcomeLegend(outcomes: readonly Outcome[] = OUTCOMES): Html {
  return html`<div class="legend" role="list">${outcomes.map(
    (o) => html`<span class="item" role="listitem">${swatch(o)}<b>${TONES[o].symbol} ${TONES[o].word}</b><span class="muted">${OUTCOME_MEANING[o]}</span></span>`,
  )}</div>`;
}

export interface OutcomeBar {
  name: string;
  outcomes: Record<Outcome, number>;
}

const OC = { width: 1000, labelRight: 226, x0: 236, x1: 860, bar: 26, row: 36, top: 26 } as const;

/** Segments of one 100%-stacked bar: [outcome, count, x, width]. */
export function barSegments(outcomes: Record<Outcome, number>, x0: number, x1: number): { outcome: Outcome; n: number; x: number; w: number }[] {
  const total = OUTCOMES.reduce((t, o) => t + outcomes[o], 0);
  let x = x0;
  return OUTCOMES.flatMap((o) => {
    const n = outcomes[o];
    if (n === 0 || total === 0) return [];
    const w = ((x1 - x0) * n) / total;
    const seg = { outcome: o, n, x, w };
    x += w;
    return [seg];
  });
}

function shorten(text: string, width: number, font: number): string {
  if (textWidth(text, font) <= width) return text;
  let t = text;
  while (t.length > 1 && textWidth(`${t}…`, font) > width) t = t.slice(0, -1);
  return `${t}…`;
}

/** Connection outcomes of each candidate as 100%-stacked horizontal bars with counts. */
export function outcomeChart(bars: OutcomeBar[], label: string): Html {
  const height = OC.top + bars.length * OC.row + 4;
  const axis = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const x = OC.x0 + f * (OC.x1 - OC.x0);
    return html`<line class="grid" x1="${num(x)}" x2="${num(x)}" y1="${OC.top - 6}" y2="${num(height - 4)}"/><text class="tick-label" x="${num(x)}" y="${OC.top - 10}" text-anchor="middle">${Math.round(f * 100)}%</text>`;
  });
  const rows = bars.map((b, i) => {
    const y = OC.top + i * OC.row;
    const total = OUTCOMES.reduce((t, o) => t + b.outcomes[o], 0);
    const segs = barSegments(b.outcomes, OC.x0, OC.x1).map((s) => {
      const t = TONES[s.outcome];
      const text = count(s.n);
      const fits = textWidth(text, 11.5) + 6 <= s.w;
      const solid = s.outcome === 'ok';
      return html`<g class="outcome-seg" data-outcome="${s.outcome}" data-count="${s.n}"><title>${b.name}: ${count(s.n)} of ${count(total)} connections ${t.word} (${((100 * s.n) / total).toFixed(1)}%) — ${OUTCOME_MEANING[s.outcome]}</title><rect x="${num(s.x)}" y="${y}" width="${num(s.w)}" height="${OC.bar}" fill="${t.fill}" stroke="#fff" stroke-width="0.8"/>${
        fits ? html`<text class="bar-count ${solid ? 'on' : 'halo'}" x="${num(s.x + s.w / 2)}" y="${y + OC.bar / 2 + 4}" text-anchor="middle">${text}</text>` : ''
      }</g>`;
    });
    return html`<g class="outcome-bar" data-candidate="${b.name}" data-total="${total}"><text class="bar-label" x="${OC.labelRight}" y="${y + OC.bar / 2 + 4}" text-anchor="end"><title>${b.name}</title>${shorten(b.name, OC.labelRight - 4, 12)}</text>${segs}<rect x="${OC.x0}" y="${y}" width="${OC.x1 - OC.x0}" height="${OC.bar}" fill="none" stroke="#444" stroke-width="0.7"/><text class="bar-label" x="${OC.x1 + 8}" y="${y + OC.bar / 2 + 4}">${count(total)} connections</text></g>`;
  });
  return html`<svg class="outcome-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${OC.width} ${height}" role="img" aria-label="${label}"><title>${label}</title>${axis}${rows}</svg>`;
}

/** One rule's hit bar: length relative to the busiest rule of its table; never-hit rules get an empty dashed frame. */
export function hitBar(hits: number, max: number, action: 'allow' | 'deny', title: string): Html {
  const W = 150;
  const w = hits === 0 ? 0 : Math.max(2, (W * hits) / Math.max(1, max));
  const t = TONES[action === 'allow' ? 'allow' : 'deny'];
  return html`<svg class="hit-bar" viewBox="0 0 ${W} 14" role="img" aria-label="${title}" data-hits="${hits}"><title>${title}</title>${
    hits === 0
      ? html`<rect x="0.5" y="1.5" width="${W - 1}" height="11" fill="none" stroke="#999" stroke-dasharray="3 2"/>`
      : html`<rect x="0" y="1" width="${num(w)}" height="12" fill="${t.fill}" stroke="${t.color}" stroke-width="0.6"/>`
  }</svg>`;
}
