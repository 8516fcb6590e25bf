/** A replay diagnosis as text: code, severity, message, the fix with its command, the affected clients. */
import type { Diagnosis } from '../analyze/diagnoses/index.js';

export function diagnosisText(d: Diagnosis): string {
  let t = `${d.code} (${d.severity}): ${d.message}\n`;
  const fix = d.fix as { command: string | null; note: string; verified: boolean } | undefined;
  if (fix) t += `  fix: ${fix.note}${fix.verified ? ' (verified by replaying)' : ''}\n${fix.command ? `    ${fix.command}\n` : ''}`;
  const clients = d.clients as { host: string; profile: string; notAllowedShare: number; notAllowed: string }[] | undefined;
  if (Array.isArray(clients)) for (const c of clients.slice(0, 8)) t += `  client ${c.host} (${c.profile}): ${Math.round(c.notAllowedShare * 100)}% of its range not allowed (${c.notAllowed})\n`;
  return t;
}
