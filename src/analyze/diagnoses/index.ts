/**
 * Diagnoses of a replay, each with a stable code and the evidence a person needs to act, one file per diagnosis:
 * RETURN_PORT_NOT_ALLOWED (with the smallest AWS entry that fixes it, verified by replaying again),
 * RANGE_PARTIALLY_COVERED, FORWARD_DENIED, ICMP_NEEDED, NOT_CROSSING_SUBNET, and FAILURES_MATCH_RULE, which ties the
 * connections that failed in the capture to the rule that would deny them.
 */
import type { DiagnoseInput, Diagnosis } from './common.js';
import { returnNotAllowed } from './return-port.js';
import { partiallyCovered } from './partial-coverage.js';
import { forwardDenied } from './forward-denied.js';
import { icmpNeeded } from './icmp-needed.js';
import { failuresMatch } from './failures-match.js';
import { notCrossing } from './not-crossing.js';

export type { AffectedClient, AwsEntry, DiagnoseInput, Diagnosis, Fix, FixChange } from './common.js';

export { DIAGNOSIS_CODES } from './codes.js';

/** Diagnoses of scenario s. */
export function diagnose(input: DiagnoseInput, s: number): Diagnosis[] {
  const out: Diagnosis[] = [];
  // Plain loops, not push(...xs): a scan can bring more diagnoses than a call has room for arguments.
  for (const part of [returnNotAllowed(input, s), partiallyCovered(input, s), forwardDenied(input, s), icmpNeeded(input, s), failuresMatch(input, s)]) {
    for (const d of part) out.push(d);
  }
  const na = notCrossing(input, s);
  if (na) out.push(na);
  return out;
}
