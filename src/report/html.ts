/**
 * Self-contained HTML reports (issue 6): one file with inline CSS and SVG, no scripts, no network access; every
 * string from an input is escaped (src/report/html/escape.ts). Pictures: port strips, outcome bars, rule hits.
 */
import type { ReplayResult } from '../replay/run.js';
import { renderReplayHtml } from './html/replay.js';

export { renderLintHtml } from './html/lint.js';
export { renderDiagnoseHtml, type DiagnoseHtmlInput } from './html/diagnose.js';

/** `replay --html`: outcomes, diff between candidates, port strips, rule hits and diagnoses per candidate. */
export function renderHtmlReport(r: ReplayResult): string {
  return renderReplayHtml(r);
}
