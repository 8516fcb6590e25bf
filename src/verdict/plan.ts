/**
 * The replay plan: what a replay evaluates. A scenario is one or more placements (an ACL guarding a set of subnets). Each
 * candidate ACL given with --acl is its own scenario on the same subnets; a --topology puts one ACL on each of
 * several subnets and evaluates them together. Everything workers need is compiled here into typed arrays.
 */
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { AclInvalidError, UsageError } from '../errors.js';
import { loadAcls, loadSubnets, loadYamlFile, resolveAssociations, type LoadOptions } from '../acl/load.js';
import { parseCidr, formatCidr, type Acl, type Cidr } from '../acl/model.js';

/** An ACL guarding subnets. */
export interface Placement {
  /** Index into ReplayPlan.acls. */
  acl: number;
  subnets: Cidr[];
  /** A name for the subnet group (topology name, or the CIDRs). */
  name: string;
}

export interface Scenario {
  name: string;
  placements: Placement[];
}

/** What a replay evaluates: the ACLs (as loaded) and the scenarios over them. */
export interface ReplayPlan {
  acls: Acl[];
  scenarios: Scenario[];
  topology: string | null;
}

export interface PlanInput {
  acls: string[];
  subnets: string[];
  subnetsFile?: string;
  topology?: string;
  load: LoadOptions;
  /**
   * Flow logs: the subnet-id values the records carry. With subnetsFile, an ACL that has no subnet otherwise (no
   * --subnet, no association) guards the subnets these name, as if associated with each of them.
   */
  trafficSubnetIds?: readonly string[];
}

/** Load ACLs and subnets into scenarios; throws UsageError when no subnet is known (the caller adds suggestions). */
export function buildPlan(input: PlanInput): ReplayPlan {
  if (input.topology) {
    if (input.acls.length > 0) throw new UsageError('--topology names the ACL of each subnet; do not combine it with --acl');
    return topologyPlan(input.topology, input);
  }
  if (input.acls.length === 0) throw new UsageError('replay needs at least one --acl <file>[#id] (or a --topology)');
  const acls: Acl[] = [];
  for (const spec of input.acls) for (const acl of loadAcls(spec, input.load)) acls.push(acl);
  const described = input.subnetsFile ? loadSubnets(input.subnetsFile, input.load) : null;
  if (described) resolveAssociations(acls, described);
  const given = input.subnets.map((s) => cidrArg(s, '--subnet'));
  const logged = described && input.trafficSubnetIds ? trafficSubnets(input.trafficSubnetIds, described, input.subnetsFile!) : [];
  const scenarios: Scenario[] = acls.map((acl, i) => {
    let subnets = given;
    if (subnets.length === 0) {
      subnets = acl.associations.flatMap((a) => (a.cidr ? [cidrArg(a.cidr, `${acl.file} association`)] : []));
    }
    if (subnets.length === 0) subnets = logged;
    if (subnets.length === 0) throw new NoSubnetError(acl.id, input.trafficSubnetIds);
    return { name: acl.id, placements: [{ acl: i, subnets, name: subnets.map(formatCidr).join(', ') }] };
  });
  const names = new Map<string, number>();
  for (const s of scenarios) {
    const n = (names.get(s.name) ?? 0) + 1;
    names.set(s.name, n);
    if (n > 1) s.name = `${s.name}#${n}`;
  }
  return { acls, scenarios, topology: null };
}

/** No subnet for an ACL: replay cannot tell inbound from outbound. */
export class NoSubnetError extends UsageError {
  constructor(
    readonly aclId: string,
    subnetIds?: readonly string[],
  ) {
    super(
      subnetIds
        ? `no subnet for ACL ${aclId}: the flow logs name ${subnetIds.length === 0 ? 'no subnet-id (their format lacks the field)' : `subnet-id ${subnetIds.slice(0, 3).join(', ')}${subnetIds.length > 3 ? ', ...' : ''}, not in the --subnets file`}; give --subnet <cidr> (the subnet the ACL guards) or --topology <yaml>`
        : `no subnet for ACL ${aclId}: give --subnet <cidr> (the subnet the ACL guards), --subnets <describe-subnets.json> (with flow logs: their subnet-id), or --topology <yaml>`,
    );
  }
}

/** The CIDRs (IPv4 and IPv6) of the subnet ids found in describe-subnets, in the order the ids come. */
function trafficSubnets(ids: readonly string[], described: Map<string, { cidr: string | null; ipv6Cidrs: string[] }>, file: string): Cidr[] {
  const out: Cidr[] = [];
  for (const id of ids) {
    const s = described.get(id);
    if (!s) continue;
    for (const c of [s.cidr, ...s.ipv6Cidrs]) if (c) out.push(cidrArg(c, `${file} ${id}`));
  }
  return out;
}

function cidrArg(text: string, what: string): Cidr {
  const r = parseCidr(text.trim());
  if (!r.ok) throw new UsageError(`${what}: '${text}' is not a CIDR (${r.reason})`);
  return r.cidr;
}

const TopologySchema = z.object({
  name: z.string().optional(),
  subnets: z
    .array(
      z.object({
        name: z.string(),
        cidrs: z.array(z.string()).min(1),
        acl: z.string(),
      }),
    )
    .min(1),
});

/**
 * A topology file:
 *   name: three-tier
 *   subnets:
 *     - { name: app, cidrs: [10.0.1.0/24], acl: acls/app.yaml#app-nacl }
 *     - { name: db,  cidrs: [10.0.2.0/24], acl: acls/db.json }
 * ACL paths are relative to the topology file.
 */
function topologyPlan(file: string, input: PlanInput): ReplayPlan {
  const doc = loadYamlFile(file, 'a topology file', input.load);
  const parsed = TopologySchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AclInvalidError(file, `${issue.message} (expected subnets: [{name, cidrs, acl}])`, { path: issue.path.join('.') || '(top)' });
  }
  const acls: Acl[] = [];
  const placements: Placement[] = [];
  parsed.data.subnets.forEach((s, i) => {
    const spec = resolve(dirname(file), s.acl);
    const loaded = loadAcls(spec, input.load);
    if (loaded.length !== 1) throw new AclInvalidError(file, `subnet ${s.name}: ${s.acl} holds ${loaded.length} ACLs; pick one with #id (${loaded.map((a) => a.id).join(', ')})`, { path: `subnets.${i}.acl` });
    acls.push(loaded[0]!);
    const subnets = s.cidrs.map((c, k) => {
      const r = parseCidr(c);
      if (!r.ok) throw new AclInvalidError(file, `'${c}' is not a CIDR (${r.reason})`, { path: `subnets.${i}.cidrs.${k}` });
      return r.cidr;
    });
    placements.push({ acl: acls.length - 1, subnets, name: s.name });
  });
  const name = parsed.data.name ?? 'topology';
  return { acls, scenarios: [{ name, placements }], topology: file };
}
