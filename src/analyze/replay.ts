/** A replay from start to finish: plan, one read of the traffic with verdicts, connection outcomes, diagnoses, the report model. */
import { buildPlan, NoSubnetError, type PlanInput, type ReplayPlan } from '../verdict/plan.js';
import { compilePlan, type ReplaySpec } from '../verdict/spec.js';
import type { ConnectionTable } from '../flow/connections.js';
import { inferClients, type ClientTable } from '../flow/clients.js';
import { SegmentVerdicts } from '../verdict/counters.js';
import { VerdictTable, type Outcome } from '../verdict/outcomes.js';
import { captureFindings, type CaptureFinding } from './findings.js';
import { diagnose, type Diagnosis } from './diagnoses/index.js';
import { suggestSubnets } from './subnets.js';
import { mirrorNote, type MirrorNote } from './mirror.js';
import { readTraffic, trafficKindOf, type ReadTrafficOptions, type TrafficAnalysis, type TrafficKind, type TrafficSummary } from './traffic.js';
import { explainRejects, type RejectExplanation } from './rejects.js';
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
  /** Flow logs only: records read, and per scenario its REJECT records explained (src/analyze/rejects.ts). */
  records?: number;
  rejectExplanations?: RejectExplanation[];
  /** Only for traffic that came through VPC Traffic Mirroring: what such a capture cannot show. */
  mirror?: MirrorNote;
}

export interface ReplayResult {
  report: ReplayReport;
  plan: ReplayPlan;
  spec: ReplaySpec;
  kind: TrafficKind;
  summary: TrafficSummary;
  connections: ConnectionTable;
  clients: ClientTable;
  verdicts: VerdictTable;
}

/**
 * Plan, then replay the traffic (a capture, or flow-log files and directories) against it. With no subnet, reads the
 * traffic to suggest one and exits 2; with flow logs and --subnets, an ACL without a subnet guards the subnets the
 * records' subnet-id names (planned once the logs are read).
 */
export async function runReplay(traffic: string | readonly string[], input: PlanInput, pass: ReadTrafficOptions = {}): Promise<ReplayResult> {
  const inputs = typeof traffic === 'string' ? [traffic] : [...traffic];
  let plan: ReplayPlan | null = null;
  try {
    plan = buildPlan(input);
  } catch (e) {
    if (!(e instanceof NoSubnetError)) throw e;
    if (!(input.subnetsFile && trafficKindOf(inputs) === 'flow-logs')) {
      const read = await readTraffic(inputs, { ...pass, replay: undefined });
      const suggestions = suggestSubnets(read.connections);
      throw new UsageError(`${e.detail}${suggestions.length ? `; busiest servers in ${inputs.join(', ')} are in ${suggestions.join(', ')} (e.g. --subnet ${suggestions[0]})` : ''}`);
    }
  }
  let planned: ReplayPlan | null = plan;
  const read = await readTraffic(inputs, {
    ...pass,
    replay: (hints) => compilePlan((planned ??= buildPlan({ ...input, trafficSubnetIds: hints.subnetIds }))),
  });
  return judged(read, planned!, {});
}

/** Replay the traffic against a plan built already (suggest builds its own from ACLs it made). */
export async function replayPlan(traffic: string | readonly string[], plan: ReplayPlan, pass: ReadTrafficOptions = {}, diagnoseOptions: DiagnoseOptions = {}): Promise<ReplayResult> {
  const inputs = typeof traffic === 'string' ? [traffic] : [...traffic];
  const read = await readTraffic(inputs, { ...pass, replay: () => compilePlan(plan) });
  return judged(read, plan, diagnoseOptions);
}

/** What a caller may ask of the diagnoses: the AWS rule quota fixes respect, or none at all (suggest's checks). */
export interface DiagnoseOptions {
  ruleQuota?: number;
  skipDiagnoses?: boolean;
}

/** Outcomes, rule hits and diagnoses of traffic read with verdicts. */
function judged(read: TrafficAnalysis, plan: ReplayPlan, diagnoseOptions: DiagnoseOptions): ReplayResult {
  const { spec, counts: passCounts } = read.replay!;
  const summary = read.summary;
  const connections = read.connections;
  const clients = inferClients(connections);
  const verdicts = new VerdictTable(plan, spec, connections, passCounts.verdicts ?? new SegmentVerdicts(spec.scenarios.length, connections.count));
  // One input for every scenario's diagnoses: port maps are shared.
  const diagnoseInput = { plan, spec, verdicts, connections, clients, ruleQuota: diagnoseOptions.ruleQuota };
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
        const hits = passCounts.ruleHits[gate] ?? new Float64Array(0);
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
      packets: { ...total, notApplicable: passCounts.packetsNotApplicable[s] ?? 0, unknownFragments: passCounts.unknownFragments[s] ?? 0 },
      rules,
      unusedRules: rules.filter((r) => r.hits === 0).map((r) => ({ acl: r.acl, direction: r.direction, number: r.number })),
      outcomes,
      diagnoses: diagnoseOptions.skipDiagnoses ? [] : diagnose(diagnoseInput, s),
    };
  });
  const report: ReplayReport = { file: summary.file, packets: summary.packets, connections: connections.count, topology: plan.topology, acls, captureFindings: captureFindings(connections) };
  if ('tunnels' in summary) {
    const mirror = mirrorNote(summary);
    if (mirror) report.mirror = mirror;
  }
  if (summary.format === 'vpc-flow-logs') {
    report.records = summary.records;
    report.rejectExplanations = plan.scenarios.flatMap((sc, s) => explainRejects(connections, verdicts, s, sc.name));
  }
  return {
    report,
    plan,
    spec,
    kind: read.kind,
    summary,
    connections,
    clients,
    verdicts,
  };
}
