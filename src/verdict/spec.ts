/**
 * The compiled spec: what travels to workers (compiled directions in SharedArrayBuffers, subnet tables; no Rule
 * objects), compiled from a plan. Kept apart from plan.ts so a worker and the capture-only commands load no ACL
 * importer.
 */
import { compileAcl, fromShared, toShared, type CompiledDirection } from '../acl/compile.js';
import type { Acl, Cidr } from '../acl/model.js';
import type { ReplayPlan } from './plan.js';

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

/** Subnet table for membership tests: IPv4 (net, mask) pairs; IPv6 8 words (net[4], mask[4]). */
function subnetTables(cidrs: Cidr[]): { v4: Uint32Array; v6: Uint32Array } {
  const v4 = cidrs.filter((c) => c.family === 4);
  const v6 = cidrs.filter((c) => c.family === 6);
  const t4 = new Uint32Array(2 * v4.length);
  v4.forEach((c, i) => {
    const mask = c.prefix === 0 ? 0 : (0xffffffff << (32 - c.prefix)) >>> 0;
    t4[2 * i] = c.words[0] & mask;
    t4[2 * i + 1] = mask;
  });
  const t6 = new Uint32Array(8 * v6.length);
  v6.forEach((c, i) => {
    for (let w = 0; w < 4; w++) {
      const bits = Math.max(0, Math.min(32, c.prefix - 32 * w));
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      t6[8 * i + w] = c.words[w]! & mask;
      t6[8 * i + 4 + w] = mask;
    }
  });
  return { v4: t4, v6: t6 };
}

/** One ACL compiled for the spec (SharedArrayBuffers, so every worker reads the same tables without a copy). */
export function specAcl(acl: Acl): ReplaySpec['acls'][number] {
  const c = compileAcl(acl, { shared: true });
  return {
    inbound: toShared(c.inbound),
    outbound: toShared(c.outbound),
    inboundAllow: Uint8Array.from(acl.inbound, (r) => (r.action === 'allow' ? 1 : 0)),
    outboundAllow: Uint8Array.from(acl.outbound, (r) => (r.action === 'allow' ? 1 : 0)),
  };
}

/** Compile the plan for workers. */
export function compilePlan(plan: ReplayPlan): ReplaySpec {
  const acls = plan.acls.map(specAcl);
  const placements: ReplaySpec['placements'] = [];
  const scenarios: ReplaySpec['scenarios'] = [];
  plan.scenarios.forEach((s, si) => {
    scenarios.push({ first: placements.length, count: s.placements.length });
    for (const p of s.placements) placements.push({ scenario: si, acl: p.acl, ...subnetTables(p.subnets) });
  });
  return { acls, placements, scenarios };
}
