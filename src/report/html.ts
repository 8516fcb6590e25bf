/** Self-contained HTML report (issue 6); replaced by the full report renderer. */
import type { ReplayResult } from '../replay/run.js';

export function renderHtmlReport(r: ReplayResult): string {
  return `<!doctype html><meta charset="utf-8"><title>aclreplay</title><pre>${JSON.stringify(r.report, null, 2).replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!)}</pre>`;
}
