/**
 * The native YAML format (README.md, "Native YAML"; read by src/acl/formats/yaml.ts): one flow mapping per rule, as a
 * person writes them. The '*' denies are left out (the reader adds them).
 */
import YAML, { isMap, isSeq } from 'yaml';
import type { Acl, Rule } from '../model.js';
import { aclEntries, protocolWord, type NetworkAclEntry } from './entries.js';
import { quoteAmbiguousStrings } from './yaml-scalars.js';

function proto(e: NetworkAclEntry): string | number {
  const w = protocolWord(e.protocol);
  if (w === '-1') return 'all';
  if (w === '58') return 'icmpv6';
  return /^\d+$/.test(w) ? Number(w) : w;
}

function ruleMap(e: NetworkAclEntry, r: Rule | undefined): Record<string, unknown> {
  const m: Record<string, unknown> = { rule: e.ruleNumber, proto: proto(e) };
  if (e.portRange) m.ports = e.portRange.from === e.portRange.to ? e.portRange.from : `${e.portRange.from}-${e.portRange.to}`;
  if (e.icmpTypeCode && e.icmpTypeCode.type !== -1) m.icmp = { type: e.icmpTypeCode.type, code: e.icmpTypeCode.code };
  m.cidr = e.cidrBlock ?? e.ipv6CidrBlock;
  m.action = e.ruleAction;
  if (r?.description !== undefined) m.description = r.description;
  return m;
}

/** Native YAML holding the ACLs (`acls:` list; id, name, subnets, tags, inbound, outbound). */
export function emitNativeYaml(acls: readonly Acl[]): string {
  const list = acls.map((acl) => {
    const { ingress, egress } = aclEntries(acl);
    const byNumber = (dir: 'inbound' | 'outbound') => new Map(acl[dir].filter((r) => r.ruleNumber !== '*').map((r) => [r.ruleNumber as number, r]));
    const inRules = byNumber('inbound');
    const outRules = byNumber('outbound');
    const a: Record<string, unknown> = { id: acl.id };
    if (acl.name !== null) a.name = acl.name;
    const subnets = [...new Set(acl.associations.map((x) => x.cidr).filter((c): c is string => c !== null))];
    if (subnets.length > 0) a.subnets = subnets;
    if (Object.keys(acl.tags).length > 0) a.tags = { ...acl.tags };
    a.inbound = ingress.map((e) => ruleMap(e, inRules.get(e.ruleNumber)));
    a.outbound = egress.map((e) => ruleMap(e, outRules.get(e.ruleNumber)));
    return a;
  });
  const doc = new YAML.Document({ acls: list });
  // Rules and subnet lists on one line each, as in the README.
  const acl0 = doc.get('acls');
  if (isSeq(acl0)) {
    for (const a of acl0.items) {
      if (!isMap(a)) continue;
      for (const key of ['inbound', 'outbound']) {
        const rules = a.get(key, true);
        if (isSeq(rules)) for (const r of rules.items) if (isMap(r)) r.flow = true;
      }
      const subnets = a.get('subnets', true);
      if (isSeq(subnets)) subnets.flow = true;
    }
  }
  quoteAmbiguousStrings(doc);
  return doc.toString({ lineWidth: 0 });
}
