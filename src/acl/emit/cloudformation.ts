/**
 * A CloudFormation snippet in YAML: per ACL an AWS::EC2::NetworkAcl, one AWS::EC2::NetworkAclEntry per entry
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ec2-networkaclentry.html) and an
 * AWS::EC2::SubnetNetworkAclAssociation per subnet id; readable by src/acl/formats/cloudformation.ts. VpcId is a
 * parameter (`!Ref VpcId`) unless a literal VPC id is given.
 */
import YAML, { Scalar, isMap } from 'yaml';
import type { Acl, Rule } from '../model.js';
import { aclEntries, tagsWithName, type NetworkAclEntry } from './entries.js';
import { quoteAmbiguousStrings } from './yaml-scalars.js';

export interface CloudFormationOptions {
  /** A literal VpcId; without it the template declares a VpcId parameter. */
  vpcId?: string;
}

/** A logical id (alphanumeric, CloudFormation's only allowed characters) from an ACL id, in PascalCase. */
export function logicalId(id: string): string {
  const parts = id.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const s = parts.map((p) => p[0]!.toUpperCase() + p.slice(1)).join('');
  return /^[A-Za-z]/.test(s) ? s : `Acl${s}`;
}

function ref(name: string): Scalar {
  const s = new Scalar(name);
  s.tag = '!Ref';
  return s;
}

function entryProperties(e: NetworkAclEntry, aclRef: Scalar): Record<string, unknown> {
  const p: Record<string, unknown> = { NetworkAclId: aclRef, RuleNumber: e.ruleNumber, Protocol: Number(e.protocol), RuleAction: e.ruleAction, Egress: e.egress };
  if (e.cidrBlock !== undefined) p.CidrBlock = e.cidrBlock;
  if (e.ipv6CidrBlock !== undefined) p.Ipv6CidrBlock = e.ipv6CidrBlock;
  if (e.portRange) p.PortRange = { From: e.portRange.from, To: e.portRange.to };
  if (e.icmpTypeCode) p.Icmp = { Code: e.icmpTypeCode.code, Type: e.icmpTypeCode.type };
  return p;
}

/** CloudFormation YAML holding the ACLs, their entries and subnet associations. */
export function emitCloudFormation(acls: readonly Acl[], opts: CloudFormationOptions = {}): string {
  const used = new Set<string>(['VpcId']);
  const unique = (base: string): string => {
    let id = base;
    for (let k = 2; used.has(id); k++) id = `${base}${k}`;
    used.add(id);
    return id;
  };
  const resources: Record<string, unknown> = {};
  const comments = new Map<string, string>();
  for (const acl of acls) {
    const name = unique(logicalId(acl.id));
    const tags = Object.entries(tagsWithName(acl)).map(([Key, Value]) => ({ Key, Value }));
    const props: Record<string, unknown> = { VpcId: opts.vpcId ?? ref('VpcId') };
    if (tags.length > 0) props.Tags = tags;
    resources[name] = { Type: 'AWS::EC2::NetworkAcl', Properties: props };
    if (acl.id !== name) comments.set(name, `aclreplay id: ${acl.id}`);
    const { ingress, egress } = aclEntries(acl);
    const described = new Map<string, Rule>();
    for (const dir of ['inbound', 'outbound'] as const) for (const r of acl[dir]) if (r.ruleNumber !== '*') described.set(`${dir}:${r.ruleNumber}`, r);
    for (const e of [...ingress, ...egress]) {
      const id = unique(`${name}${e.egress ? 'Egress' : 'Ingress'}${e.ruleNumber}`);
      resources[id] = { Type: 'AWS::EC2::NetworkAclEntry', Properties: entryProperties(e, ref(name)) };
      const r = described.get(`${e.egress ? 'outbound' : 'inbound'}:${e.ruleNumber}`);
      if (r?.description !== undefined) comments.set(id, r.description);
    }
    const subnetIds = [...new Set(acl.associations.map((a) => a.subnetId).filter((s): s is string => s !== null))];
    subnetIds.forEach((subnet, i) => {
      resources[unique(`${name}Association${i + 1}`)] = { Type: 'AWS::EC2::SubnetNetworkAclAssociation', Properties: { NetworkAclId: ref(name), SubnetId: subnet } };
    });
  }
  const template: Record<string, unknown> = { AWSTemplateFormatVersion: '2010-09-09' };
  if (opts.vpcId === undefined) template.Parameters = { VpcId: { Type: 'AWS::EC2::VPC::Id', Description: 'VPC of the network ACLs' } };
  template.Resources = resources;
  const doc = new YAML.Document(template);
  const res = doc.get('Resources');
  if (isMap(res)) {
    for (const pair of res.items) {
      const key = String((pair.key as Scalar).value);
      const c = comments.get(key);
      if (c !== undefined) (pair.key as Scalar).commentBefore = ` ${c.replace(/[\r\n\u2028\u2029]+/g, ' ')}`;
      const v = pair.value;
      if (isMap(v)) {
        const p = v.get('Properties', true);
        if (isMap(p)) for (const k of ['PortRange', 'Icmp']) {
          const n = p.get(k, true);
          if (isMap(n)) n.flow = true;
        }
      }
    }
  }
  quoteAmbiguousStrings(doc);
  return doc.toString({ lineWidth: 0 });
}
