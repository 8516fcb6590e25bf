/** A replay from start to finish: plan, one pass with verdicts, connection outcomes, diagnoses, the report model. */
import { buildPlan, NoSubnetError, type PlanInput, type ReplayPlan } from '../verdict/plan.js';
import { compilePlan, type ReplaySpec } from '../verdict/spec.js';
import { runPass, type PassOptions } from '../pass/engine.js';
import { describeCapture, type CaptureSummary } from '../pass/summary.js';
import { fromFlowTable, type ConnectionTable } from '../flow/connections.js';
import { sessionNames } from '../decode/tunnels.js';
import { inferClients, type ClientTable } from '../flow/clients.js';
import { SegmentVerdicts } from '../verdict/counters.js';
import { VerdictTable, type Outcome } from '../verdict/outcomes.js';
import { captureFindings, type CaptureFinding } from './findings.js';
import { diagnose, type Diagnosis } from './diagnoses/index.js';
import { suggestSubnets } from './subnets.js';
import { mirrorNote, type MirrorNote } from './mirror.js';
import { formatCidr, describeRule, formatPorts, protocolName, type Rule } from '../acl/model.js';
import { UsageError } from '../errors.js';

export interface RuleHits {
  acl: string;
  direction: 'inbound' | 'outbound';
  number: number | '*';
  action: 'allow' | 'deny';
  hits: number;
  family: 4 | 6;
  protocol: string;
  ports: string;
  cidr: string;
  description: string | null;
}

export interface PacketCounts {
  inbound: { allow: number; deny: number };
  outbound: { allow: number; deny: number };
  notApplicable: number;
  unknownFragments: number;
}

/** One scenario's results (`acls[]` in `replay -F json`; field names are the CLI contract). */
export interface ScenarioReport {
  acl: string;
  subnets: string[];
  placements: { name: string; acl: string; subnets: string[]; packets: Omit<PacketCounts, 'notApplicable' | 'unknownFragments'> }[];
  packets: PacketCounts;
  rules: RuleHits[];
  unusedRules: { acl: string; direction: 'inbound' | 'outbound'; number: number | '*' }[];
  outcomes: Record<Outcome, number>;
  diagnoses: Diagnosis[];
}

export interface ReplayReport {
  file: string;
  packets: number;
  connections: number;
  topology: string | null;
  acls: ScenarioReport[];
  captureFindings: CaptureFinding[];
  /** Only for traffic that came through VPC Traffic Mirroring: what such a capture cannot show. */
  mirror?: MirrorNote;
}

export interface ReplayResult {
  report: ReplayReport;
  plan: ReplayPlan;
  spec: ReplaySpec;
  summary: CaptureSummary;
  connections: ConnectionTable;
  clients: ClientTable;
  verdicts: VerdictTable;
}

/** Plan, then replay the capture against it. With no subnet, reads the capture to suggest one and exits 2. */
export async function runReplay(capture: string, input: PlanInput, pass: PassOptions = {}): Promise<ReplayResult> {
  let plan: ReplayPlan;
  try {
    plan = buildPlan(input);
  } catch (e) {
    if (!(e instanceof NoSubnetError)) throw e;
    const flows = await runPass(capture, { ...pass, flows: true });
    const suggestions = suggestSubnets(fromFlowTable(flows.merge.table));
    throw new UsageError(`${e.detail}${suggestions.length ? `; busiest servers in ${capture} are in ${suggestions.join(', ')} (e.g. --subnet ${suggestions[0]})` : ''}`);
  }
  const spec = compilePlan(plan);
  const result = await runPass(capture, { ...pass, flows: true, replay: spec });
  const summary = describeCapture(result);
  const merge = result.merge;
  const connections = fromFlowTable(merge.table, sessionNames(merge.tunnels));
  merge.releaseTable();
  const clients = inferClients(connections);
  const verdicts = new VerdictTable(plan, spec, connections, merge.verdicts ?? new SegmentVerdicts(spec.scenarios.length, connections.count));
  // One input for every scenario's diagnoses: port maps are shared.
  const diagnoseInput = { plan, spec, verdicts, connections, clients };
  const acls: ScenarioReport[] = plan.scenarios.map((sc, s) => {
    const outcomes = verdicts.outcomeCounts(s);
    const rules: RuleHits[] = [];
    const placements: ScenarioReport['placements'] = [];
    const first = spec.scenarios[s]!.first;
    sc.placements.forEach((p, k) => {
      const acl = plan.acls[p.acl]!;
      const counts = { inbound: { allow: 0, deny: 0 }, outbound: { allow: 0, deny: 0 } };
      for (const direction of ['inbound', 'outbound'] as const) {
        const gate = 2 * (first + k) + (direction === 'outbound' ? 1 : 0);
        const hits = merge.ruleHits[gate] ?? new Float64Array(0);
        const list = direction === 'inbound' ? acl.inbound : acl.outbound;
        counts[direction].deny += hits[list.length] ?? 0; // matched no rule: denied
        list.forEach((r: Rule, i) => {
          const h = hits[i] ?? 0;
          counts[direction][r.action] += h;
          rules.push({
            acl: acl.id,
            direction,
            number: r.ruleNumber,
            action: r.action,
            hits: h,
            family: r.family,
            protocol: protocolName(r.protocol, r.protocolMask),
            ports: formatPorts(r.dstPorts),
            cidr: formatCidr(direction === 'inbound' ? r.src : r.dst),
            description: r.description ?? (r.ruleNumber === '*' ? 'default deny' : describeRule(r)),
          });
        });
      }
      placements.push({ name: p.name, acl: acl.id, subnets: p.subnets.map(formatCidr), packets: counts });
    });
    const total = placements.reduce(
      (t, p) => ({
        inbound: { allow: t.inbound.allow + p.packets.inbound.allow, deny: t.inbound.deny + p.packets.inbound.deny },
        outbound: { allow: t.outbound.allow + p.packets.outbound.allow, deny: t.outbound.deny + p.packets.outbound.deny },
      }),
      { inbound: { allow: 0, deny: 0 }, outbound: { allow: 0, deny: 0 } },
    );
    return {
      acl: sc.name,
      subnets: sc.placements.flatMap((p) => p.subnets.map(formatCidr)),
      placements,
      packets: { ...total, notApplicable: merge.packetsNotApplicable[s] ?? 0, unknownFragments: merge.unknownFragments[s] ?? 0 },
      rules,
      unusedRules: rules.filter((r) => r.hits === 0).map((r) => ({ acl: r.acl, direction: r.direction, number: r.number })),
      outcomes,
      diagnoses: diagnose(diagnoseInput, s),
    };
  });
  return {
    report: { file: summary.file, packets: summary.packets, connections: connections.count, topology: plan.topology, acls, captureFindings: captureFindings(connections), ...withMirrorNote(summary) },
    plan,
    spec,
    summary,
    connections,
    clients,
    verdicts,
  };
}

function withMirrorNote(summary: CaptureSummary): { mirror?: MirrorNote } {
  const m = mirrorNote(summary);
  return m ? { mirror: m } : {};
}
