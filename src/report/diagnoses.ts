/** A replay diagnosis as text: code, severity, message, the fix with its commands, the affected clients. */
import type { Diagnosis, Fix } from '../analyze/diagnoses/index.js';

export function diagnosisText(d: Diagnosis): string {
  let t = `${d.code} (${d.severity}): ${d.message}\n`;
  const fix = d.fix as Fix | null | undefined;
  if (fix) {
    t += `  fix ${fix.id}: ${fix.note}${fix.verified ? ' (verified by replaying)' : ''}\n`;
    for (const c of fix.changes ?? []) t += `    ${c.command}\n`;
  } else if (typeof d.fixId === 'string') t += `  fix: see ${d.fixId} above\n`;
  if (typeof d.aggregated === 'string') t += `  (${d.aggregated})\n`;
  const clients = d.clients as { host: string; profile: string; notAllowedShare: number; notAllowed: string; failureProbability?: number; failurePattern?: string }[] | undefined;
  if (Array.isArray(clients)) {
    for (const c of clients.slice(0, 8)) {
      const fp = c.failureProbability === undefined ? '' : `; ${Math.round(c.failureProbability * 100)}% of new connections fail${c.failurePattern === 'bursty' ? ', in runs' : ''}`;
      t += `  client ${c.host} (${c.profile}): ${Math.round(c.notAllowedShare * 100)}% of its range not allowed (${c.notAllowed})${fp}\n`;
    }
  }
  return t;
}
