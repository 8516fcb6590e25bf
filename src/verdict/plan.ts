/**
 * The replay plan: what a replay evaluates. A scenario is one or more placements (an ACL guarding a set of subnets). Each
 * candidate ACL given with --acl is its own scenario on the same subnets; a --topology puts one ACL on each of
 * several subnets and evaluates them together. Everything workers need is compiled here into typed arrays.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { AclInvalidError, UsageError, fromSystemError } from '../errors.js';
import { loadAcls, loadSubnets, resolveAssociations, type LoadOptions } from '../acl/load.js';
import { parseCidr, formatCidr, type Acl, type Cidr } from '../acl/model.js';
import { lineAt } from '../acl/formats/cloudformation.js';

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
}

/** Load ACLs and subnets into scenarios; throws UsageError when no subnet is known (the caller adds suggestions). */
export function buildPlan(input: PlanInput): ReplayPlan {
  if (input.topology) {
    if (input.acls.length > 0) throw new UsageError('--topology names the ACL of each subnet; do not combine it with --acl');
    return topologyPlan(input.topology, input);
  }
  if (input.acls.length === 0) throw new UsageError('replay needs at least one --acl <file>[#id] (or a --topology)');
  const acls: Acl[] = [];
  for (const spec of input.acls) acls.push(...loadAcls(spec, input.load));
  if (input.subnetsFile) resolveAssociations(acls, loadSubnets(input.subnetsFile));
  const given = input.subnets.map((s) => cidrArg(s, '--subnet'));
  const scenarios: Scenario[] = acls.map((acl, i) => {
    let subnets = given;
    if (subnets.length === 0) {
      subnets = acl.associations.flatMap((a) => (a.cidr ? [cidrArg(a.cidr, `${acl.file} association`)] : []));
    }
    if (subnets.length === 0) throw new NoSubnetError(acl.id);
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
  constructor(readonly aclId: string) {
    super(`no subnet for ACL ${aclId}: give --subnet <cidr> (the subnet the ACL guards), --subnets <describe-subnets.json>, or --topology <yaml>`);
  }
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
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw fromSystemError(file, e);
  }
  const parsedDoc = YAML.parseDocument(text, { prettyErrors: false });
  if (parsedDoc.errors.length > 0) {
    const e = parsedDoc.errors[0]!;
    throw new AclInvalidError(file, `not valid YAML: ${e.message.split('\n')[0]}`, { line: lineAt(text, e.pos[0]) });
  }
  const doc: unknown = parsedDoc.toJS();
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
