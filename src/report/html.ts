/**
 * Self-contained HTML reports (issue 6): one file with inline CSS and SVG, no scripts, no network access; every
 * string from an input is escaped (src/report/html/escape.ts). Pictures: port strips, outcome bars, rule hits. The
 * pages render views computed by src/analyze/views.ts.
 */
export { renderReplayHtml } from './html/replay.js';
export { renderLintHtml } from './html/lint.js';
export { renderDiagnoseHtml } from './html/diagnose.js';
