/**
 * Port maps: the map PortMaps builds from one probe per interval between rule port boundaries equals the map from
 * probing all 65536 ports, for random ACLs, hosts on both sides of the subnet, TCP and UDP.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { allowedPorts, PortMaps } from '../../src/verdict/probe.js';
import type { ReplayPlan } from '../../src/verdict/plan.js';
import { compilePlan } from '../../src/verdict/spec.js';
import { parseCidr, type Cidr } from '../../src/acl/model.js';
import { AddressTable, type Host } from '../../src/flow/connections.js';
import { awsAcl, type GenEntry } from '../helpers/aclgen.js';

const cidr = (t: string): Cidr => {
  const p = parseCidr(t);
  if (!p.ok) throw new Error(t);
  return p.cidr;
};
const host = (a: number, b: number, c: number, d: number): Host => ({ family: 4, words: [((a << 24) | (b << 16) | (c << 8) | d) >>> 0, 0, 0, 0] });

const port = fc.integer({ min: 0, max: 65535 });
const entry = fc.record({
  egress: fc.boolean(),
  protocol: fc.constantFrom(6, 17, -1),
  action: fc.constantFrom('allow' as const, 'deny' as const),
  cidr: fc.constantFrom('0.0.0.0/0', '10.0.0.0/8', '10.0.1.0/24', '10.0.1.5/32', '192.168.0.0/16'),
  a: port,
  b: port,
});

describe('PortMaps', () => {
  it('one probe per rule-boundary interval gives the same map as 65536 probes', () => {
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 30 }), fc.constantFrom(6, 17), port, (raw, proto, sport) => {
        const entries: GenEntry[] = raw.map((e, i) => ({
          ruleNumber: 10 * (i + 1),
          egress: e.egress,
          protocol: e.protocol,
          action: e.action,
          cidr: cidr(e.cidr),
          ports: e.protocol === -1 ? null : [Math.min(e.a, e.b), Math.max(e.a, e.b)],
          icmp: null,
        }));
        const plan: ReplayPlan = { acls: [awsAcl('gen', entries)], scenarios: [{ name: 'gen', placements: [{ acl: 0, subnets: [cidr('10.0.2.0/24')], name: 's' }] }], topology: null };
        const spec = compilePlan(plan);
        const addresses = new AddressTable();
        const maps = new PortMaps(plan, spec, addresses);
        const id = (h: Host) => addresses.intern4(h.words[0]);
        const inside = host(10, 0, 2, 7);
        for (const outside of [host(10, 0, 1, 5), host(192, 168, 3, 4), host(172, 16, 0, 1)]) {
          for (const [src, dst] of [
            [inside, outside],
            [outside, inside],
          ] as const) {
            const fast = maps.get(0, id(src), id(dst), proto, sport);
            const full = allowedPorts(spec, 0, src, dst, proto, sport);
            // First differing port (-1 when equal): a plain loop, 65536-element deep equality is slow in expect.
            let diff = -1;
            for (let p = 0; p < 65536 && diff < 0; p++) if (fast[p] !== full[p]) diff = p;
            expect(diff, `port ${diff}: intervals say ${fast[diff]}, every-port probing says ${full[diff]}`).toBe(-1);
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});
