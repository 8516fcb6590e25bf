/** The replay page's section on flow logs' REJECT records: which ones each candidate, as deployed, explains. */
import { html, count, type Html } from './escape.js';
import type { RejectExplanation } from '../../analyze/rejects.js';

/** The section, or nothing when the traffic is not flow logs or nothing was rejected. */
export function rejectsSection(rejects: RejectExplanation[] | undefined): Html | string {
  if (!rejects || rejects.length === 0) return '';
  return html`<section id="rejects"><h2>REJECT records explained</h2><p class="muted">Flow-log records with action REJECT, replayed against each candidate as if it were the deployed ACL: <b>network-acl</b> when its rule denies them, <b>not-network-acl</b> when it allows them or never sees them (a security group or the host rejected them).</p>
<table class="small rejects-table"><thead><tr><th>ACL</th><th>interface</th><th>direction</th><th>rule</th><th>cause</th><th class="num">records</th><th class="num">packets</th><th>first records</th></tr></thead><tbody>${rejects.map(
    (e) =>
      html`<tr data-cause="${e.cause}"><td>${e.acl}</td><td class="mono">${e.interface}</td><td>${e.direction ?? '-'}</td><td>${e.rule === null ? '-' : String(e.rule)}</td><td><b>${e.cause}</b></td><td class="num">${count(e.records)}</td><td class="num">${count(e.packets)}</td><td class="mono">${e.examples.slice(0, 3).join(', ')}</td></tr>`,
  )}</tbody></table></section>`;
}
