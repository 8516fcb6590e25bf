/**
 * The replay spec: what travels to workers (compiled directions in SharedArrayBuffers, subnet tables; no Rule
 * objects). Kept apart from scenario.ts so a worker and the capture-only commands load no ACL importer.
 */
import { fromShared, type CompiledDirection } from '../acl/compile.js';

export interface ReplaySpec {
  acls: { inbound: CompiledDirection; outbound: CompiledDirection; inboundAllow: Uint8Array; outboundAllow: Uint8Array }[];
  /** Flattened placements; gate 2p is placement p's inbound, 2p+1 its outbound. */
  placements: { scenario: number; acl: number; v4: Uint32Array; v6: Uint32Array }[];
  /** First placement and count per scenario. */
  scenarios: { first: number; count: number }[];
}

/** The spec as a worker received it: compiled tables rebuilt over the shared buffers. */
export function specFromMessage(spec: ReplaySpec): ReplaySpec {
  return { ...spec, acls: spec.acls.map((a) => ({ ...a, inbound: fromShared(a.inbound), outbound: fromShared(a.outbound) })) };
}
