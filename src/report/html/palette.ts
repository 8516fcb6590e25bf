/**
 * Colours, patterns and symbols. Colours are the Okabe-Ito palette (safe for the common colour-vision
 * deficiencies: https://jfly.uni-koeln.de/color/); nothing is told by colour alone: every tone also has a fill
 * pattern, a symbol and a word, and charts label their parts.
 */
import { trusted, type Html } from './escape.js';
import { OUTCOME_WORDS, type Outcome } from '../../verdict/outcomes.js';
import type { Tone } from '../../analyze/strips.js';

export type { Tone };

export interface ToneStyle {
  /** Main colour (strokes, swatches). */
  color: string;
  /** SVG fill: a colour or a pattern reference. */
  fill: string;
  /** Short symbol shown next to the word. */
  symbol: string;
  /** The word for it in legends. */
  word: string;
}

const BLUE = '#0072B2';
const ORANGE = '#E69F00';
const VERMILLION = '#D55E00';
const PURPLE = '#CC79A7';
const GREY = '#8C8C8C';

export const TONES: Record<Tone, ToneStyle> = {
  ok: { color: BLUE, fill: BLUE, symbol: '✓', word: OUTCOME_WORDS.ok },
  'forward-blocked': { color: ORANGE, fill: 'url(#p-fwd)', symbol: '✗→', word: OUTCOME_WORDS['forward-blocked'] },
  'return-blocked': { color: VERMILLION, fill: 'url(#p-ret)', symbol: '←✗', word: OUTCOME_WORDS['return-blocked'] },
  'both-blocked': { color: PURPLE, fill: 'url(#p-both)', symbol: '⇄✗', word: OUTCOME_WORDS['both-blocked'] },
  'not-applicable': { color: GREY, fill: 'url(#p-na)', symbol: '–', word: OUTCOME_WORDS['not-applicable'] },
  allow: { color: BLUE, fill: BLUE, symbol: '✓', word: 'allowed' },
  deny: { color: VERMILLION, fill: 'url(#p-deny)', symbol: '✗', word: 'denied' },
  failed: { color: VERMILLION, fill: 'url(#p-ret)', symbol: '✗', word: 'failed (no answer)' },
  rejected: { color: ORANGE, fill: 'url(#p-fwd)', symbol: '⊘', word: 'rejected (RST / ICMP)' },
};

/** What each outcome means, for legends. */
export const OUTCOME_MEANING: Record<Outcome, string> = {
  ok: 'both directions allowed',
  'forward-blocked': 'the request is denied',
  'return-blocked': 'the request passes, the reply is denied: the client hangs',
  'both-blocked': 'request and reply are denied',
  'not-applicable': 'does not cross the subnet boundary',
};

/**
 * Pattern definitions, once per document in a zero-size SVG (patterns referenced from other SVGs of the same
 * document). Stripes are drawn over a pale tint so patterns stay distinct in greyscale and on paper.
 */
export function patternDefs(): Html {
  const stripes = (id: string, bg: string, fg: string, angle: number, width: number) =>
    `<pattern id="${id}" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(${angle})"><rect width="6" height="6" fill="${bg}"/><rect width="${width}" height="6" fill="${fg}"/></pattern>`;
  return trusted(
    '<svg class="defs" width="0" height="0" aria-hidden="true" focusable="false" style="position:absolute;width:0;height:0;overflow:hidden"><defs>' +
      stripes('p-deny', '#FBE3D6', VERMILLION, 45, 2) +
      stripes('p-fwd', '#FCEBC4', ORANGE, 45, 3) +
      stripes('p-ret', '#FBE3D6', VERMILLION, -45, 3) +
      '<pattern id="p-both" patternUnits="userSpaceOnUse" width="5" height="5"><rect width="5" height="5" fill="#F5DCEA"/><circle cx="2.5" cy="2.5" r="1.5" fill="' +
      PURPLE +
      '"/></pattern>' +
      stripes('p-na', '#EEEEEE', '#B0B0B0', 0, 1) +
      '</defs></svg>',
  );
}
