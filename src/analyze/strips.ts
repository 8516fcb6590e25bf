/**
 * Port strip models, computed here and drawn by report/html/portstrip.ts: for each placement (ACL on its subnets)
 * and direction of a replay, the destination ports the scenario lets through for a representative pair of hosts
 * from the traffic (the replay's own evaluator, through verdict/probe.ts), labelled with the deciding rule (linear
 * reference), and the destination ports the traffic's connections used when crossing that way: service ports of
 * requests, client (ephemeral) ports of replies. Also the coverage strips of `lint`.
 */
import { linearClassify, type PacketColumns } from '../acl/linear.js';
import { cidrContains, describeRule, ruleLabel, type Acl, type Cidr, type Direction, type Rule } from '../acl/model.js';
import type { CoverageReport } from '../acl/lint.js';
import { PORT_PROFILES, percent, portRanges, formatRanges, type ProfileName } from '../profiles.js';
import { parseAddress as parse4, formatAddress as format4 } from '../wire/ipv4.js';
import { parseAddress as parse6, formatAddress as format6 } from '../wire/ipv6.js';
import type { ClientTable } from '../flow/clients.js';
import type { Host } from '../flow/connections.js';
import { allowedPorts, judgeConnectionPackets, ProbeFlags } from '../verdict/probe.js';
import { OUTCOMES, OUTCOME_WORDS, type Outcome } from '../verdict/outcomes.js';
import type { ReplaySpec } from '../verdict/spec.js';
import type { ReplayResult } from './replay.js';

/** How a mark is drawn: outcomes of connections, allow/deny of ports, failures seen in a capture. */
export type Tone = Outcome | 'allow' | 'deny' | 'failed' | 'rejected';

/** A run of destination ports with one verdict. */
export interface StripSegment {
  lo: number;
  hi: number;
  allowed: boolean;
  /** The deciding rule as people say it ("100", "*"), or null when unknown. */
  rule: string | null;
  /** Tooltip text with the exact range and rule. */
  title: string;
}

/** Ports the traffic used, one mark per port (a connection), drawn as a histogram lane. */
export interface StripLane {
  tone: Tone;
  label: string;
  ports: number[];
  /** Optional category of each port (same order), broken down in the tooltips. */
  detail?: string[];
  /** What a mark counts, plural ("connections"; a trailing s is dropped for one). */
  noun: string;
  /** What the ports are ("client ports of replies"). */
  what: string;
}

export interface StripRow {
  /** "TCP · IPv4". */
  label: string;
  /** Rule verdicts; null for a strip of observed ports only. */
  segments: StripSegment[] | null;
  lanes: StripLane[];
}

export interface ProfileBand {
  key: string;
  label: string;
  range: [number, number];
  /** Text after the range inside the band ("2 clients"). */
  note: string;
  title: string;
}

export interface StripMarker {
  port: number;
  label: string;
  title: string;
}

export interface PortStripModel {
  /** Accessible name of the picture. */
  label: string;
  /** data-* attributes for the svg element (names are constants of this module tree). */
  data: [string, string][];
  bands: ProfileBand[];
  rows: StripRow[];
  markers?: StripMarker[];
}

/** The profiles drawn as bands (issue 6), with the names people use. */
export const BAND_PROFILES: { name: ProfileName; label: string }[] = [
  { name: 'linux', label: 'Linux' },
  { name: 'windows', label: 'Windows Vista+ / macOS' },
  { name: 'windows-legacy', label: 'Windows XP / 2003' },
  { name: 'nat', label: 'NAT gw / ELB / Lambda' },
];

export const PROTOCOLS = [
  { number: 6, name: 'TCP' },
  { number: 17, name: 'UDP' },
] as const;

/** A host address in batch-column form, or null for text that is not an address. */
export function hostOf(addr: string): Host | null {
  if (addr.includes(':')) {
    const w = parse6(addr);
    return w ? { family: 6, words: w } : null;
  }
  const a = parse4(addr);
  return a < 0 ? null : { family: 4, words: [a >>> 0, 0, 0, 0] };
}

function addrText(h: Host): string {
  return h.family === 4 ? format4(h.words[0]) : format6(h.words[0], h.words[1], h.words[2], h.words[3]);
}

/** The packet a strip row asks about, with the destination port left open. */
export interface StripProbe {
  family: 4 | 6;
  src: Host;
  dst: Host;
  srcText: string;
  dstText: string;
  sport: number;
  tcpFlags: number;
  /** request: client to server; reply: server to client; synthetic: no traffic of this family crossed this way. */
  kind: 'request' | 'reply' | 'synthetic';
  /** Connections between this pair crossing this way. */
  connections: number;
}

/** One row-set of a strip: the model plus the probes it used (for the caption). */
export interface ReplayStrip {
  placement: number;
  acl: string;
  direction: 'inbound' | 'outbound';
  model: PortStripModel;
  probes: StripProbe[];
  crossings: number;
}

/** Deciding rule per run of destination ports: one linear classification per interval between rule port edges. */
export function decidingRules(rules: readonly Rule[], probe: Pick<StripProbe, 'family' | 'src' | 'dst' | 'sport' | 'tcpFlags'>, proto: number): { lo: number; hi: number; index: number }[] {
  const edges = new Set<number>([0]);
  for (const r of rules) {
    edges.add(r.dstPorts[0]);
    if (r.dstPorts[1] < 65535) edges.add(r.dstPorts[1] + 1);
  }
  const starts = [...edges].sort((a, b) => a - b);
  const cols: PacketColumns = {
    family: Uint8Array.of(probe.family),
    proto: Uint8Array.of(proto),
    src: Uint32Array.from(probe.src.words),
    dst: Uint32Array.from(probe.dst.words),
    sport: Uint16Array.of(probe.sport),
    dport: new Uint16Array(1),
    icmpType: new Uint8Array(1),
    icmpCode: new Uint8Array(1),
    tcpFlags: Uint16Array.of(proto === 6 ? probe.tcpFlags : 0),
  };
  const out: { lo: number; hi: number; index: number }[] = [];
  starts.forEach((lo, i) => {
    const hi = i + 1 < starts.length ? starts[i + 1]! - 1 : 65535;
    cols.dport[0] = lo;
    const index = linearClassify(rules, cols, 0);
    const last = out[out.length - 1];
    if (last && last.index === index) last.hi = hi;
    else out.push({ lo, hi, index });
  });
  return out;
}

function ruleText(r: Rule): string {
  const what = describeRule(r);
  return r.description && r.ruleNumber !== '*' ? `${what} · “${r.description}”` : r.ruleNumber === '*' ? `${r.description ?? 'default deny'}` : what;
}

/**
 * Segments of a strip row: maximal runs of ports with the same verdict (allowed[], the truth) and the same deciding
 * rule of this ACL. When the two disagree (a topology, where another ACL on the path decides), the title says so.
 */
export function ruleSegments(rules: readonly Rule[], runs: { lo: number; hi: number; index: number }[], allowed: Uint8Array, what: string): StripSegment[] {
  const out: StripSegment[] = [];
  for (const run of runs) {
    const rule = run.index >= 0 ? rules[run.index]! : null;
    for (const value of [1, 0] as const) {
      for (const [lo, hi] of portRanges(allowed, run.lo, run.hi, value)) out.push({ lo, hi, allowed: value === 1, rule: rule ? ruleLabel(rule) : null, title: '' });
    }
  }
  out.sort((a, b) => a.lo - b.lo);
  // Runs from different rules with the same verdict stay separate (their rule differs); fill in the titles.
  for (const s of out) {
    const run = runs.find((r) => r.lo <= s.lo && s.lo <= r.hi)!;
    const rule = run.index >= 0 ? rules[run.index]! : null;
    const n = s.hi - s.lo + 1;
    const ports = s.lo === s.hi ? `port ${s.lo}` : `ports ${s.lo}–${s.hi} (${n.toLocaleString('en-US')} ports)`;
    const verdict = s.allowed ? 'allowed' : 'denied';
    let by = rule ? `rule ${ruleText(rule)}` : 'no rule matches';
    if (rule && (rule.action === 'allow') !== s.allowed) by += `; ${verdict} by another ACL on the path`;
    s.title = `${what} ${ports} ${verdict}: ${by}`;
  }
  return out;
}

/** A host inside a subnet for synthetic probes: the network address + 10 (or the address itself for small prefixes). */
function insideHost(c: Cidr): Host {
  const words: [number, number, number, number] = [...c.words];
  const max = c.family === 4 ? 32 : 128;
  if (max - c.prefix >= 4) {
    const w = c.family === 4 ? 0 : 3;
    words[w] = (words[w]! + 10) >>> 0;
  }
  return { family: c.family, words };
}

/** Outside host for synthetic probes: documentation space (RFC 5737 / RFC 3849), as `lint` uses. */
const FAR: Record<4 | 6, Host> = { 4: hostOf('198.51.100.7')!, 6: hostOf('2001:db8::7')! };

/** Connection directions crossing one placement one way: rows, who sent (1 = the client: a request), outcome. */
interface Crossings {
  rows: number[];
  fromClient: number[];
  /** Set by judgeAlone: this placement's direction alone denies the packet. */
  deniedHere: Uint8Array;
}

function pickProbe(r: ReplayResult, c: Crossings, family: 4 | 6): StripProbe {
  const ct = r.connections;
  const src = (k: number) => (c.fromClient[k] ? ct.client : ct.server)[c.rows[k]!]!;
  const dst = (k: number) => (c.fromClient[k] ? ct.server : ct.client)[c.rows[k]!]!;
  const pairs = new Map<number, number>();
  let best = -1;
  let bestN = 0;
  for (let k = 0; k < c.rows.length; k++) {
    if (ct.family[c.rows[k]!] !== family) continue;
    const key = src(k) * 2 ** 26 + dst(k);
    const n = (pairs.get(key) ?? 0) + 1;
    pairs.set(key, n);
    if (n > bestN) {
      best = key;
      bestN = n;
    }
  }
  const sports = new Map<number, number>();
  let first = -1;
  for (let k = 0; k < c.rows.length; k++) {
    if (ct.family[c.rows[k]!] !== family || src(k) * 2 ** 26 + dst(k) !== best) continue;
    if (first < 0) first = k;
    const i = c.rows[k]!;
    const sport = c.fromClient[k] ? ct.clientPort[i]! : ct.serverPort[i]!;
    sports.set(sport, (sports.get(sport) ?? 0) + 1);
  }
  const sport = [...sports].reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  const a = ct.addresses;
  return {
    family,
    src: a.host(src(first)),
    dst: a.host(dst(first)),
    srcText: a.text(src(first)),
    dstText: a.text(dst(first)),
    sport,
    tcpFlags: c.fromClient[first] ? ProbeFlags.SYN : ProbeFlags.SYN_ACK,
    kind: c.fromClient[first] ? 'request' : 'reply',
    connections: bestN,
  };
}

function syntheticProbe(subnet: Cidr, direction: 'inbound' | 'outbound'): StripProbe {
  const near = insideHost(subnet);
  const far = FAR[subnet.family];
  const [src, dst] = direction === 'inbound' ? [far, near] : [near, far];
  return { family: subnet.family, src, dst, srcText: addrText(src), dstText: addrText(dst), sport: 443, tcpFlags: ProbeFlags.SYN_ACK, kind: 'synthetic', connections: 0 };
}

/** Profile bands with the number of clients inferred to have each profile, and coverage per row. */
export function profileBands(clients: ClientTable | null, coverage: { label: string; allowed: Uint8Array }[]): ProfileBand[] {
  return BAND_PROFILES.map(({ name, label }) => {
    const p = PORT_PROFILES.find((x) => x.name === name)!;
    const hosts: number[] = [];
    if (clients) for (let c = 0; c < clients.count; c++) if (clients.profileName(c) === name) hosts.push(c);
    const lines = coverage.map((c) => {
      let n = 0;
      for (let port = p.range[0]; port <= p.range[1]; port++) n += c.allowed[port]!;
      const share = n / (p.range[1] - p.range[0] + 1);
      const missing = portRanges(c.allowed, p.range[0], p.range[1], 0);
      return `${c.label}: ${percent(share)} allowed${missing.length && share > 0 ? ` (${formatRanges(missing, 3)} not)` : ''}`;
    });
    const who = hosts.length
      ? `\nclients in the capture with this profile: ${hosts
          .slice(0, 6)
          .map((h) => `${clients!.host(h)} (confidence ${clients!.confidence[h]!.toFixed(2)})`)
          .join(', ')}${hosts.length > 6 ? ', ...' : ''}`
      : '';
    return {
      key: name,
      label,
      range: [p.range[0], p.range[1]],
      note: hosts.length ? `${hosts.length} client${hosts.length === 1 ? '' : 's'}` : '',
      title: `${p.description}: ports ${p.range[0]}–${p.range[1]}${lines.length ? `\n${lines.join('\n')}` : ''}${who}`,
    };
  });
}

/**
 * Lanes of observed destination ports: one lane for crossings this ACL's direction allows (whatever happened to the
 * connection elsewhere; the tooltip breaks it down by outcome), then one lane per connection outcome for crossings
 * it denies (forward-blocked requests, return-blocked replies, both-blocked).
 */
function outcomeLanes(r: ReplayResult, s: number, c: Crossings, keep: (k: number) => boolean): StripLane[] {
  const ct = r.connections;
  let requests = false;
  let replies = false;
  const passedPorts: number[] = [];
  const passedDetail: string[] = [];
  const denied = OUTCOMES.map(() => [] as number[]);
  for (let k = 0; k < c.rows.length; k++) {
    if (!keep(k)) continue;
    const i = c.rows[k]!;
    if (c.fromClient[k]) requests = true;
    else replies = true;
    const port = c.fromClient[k] ? ct.serverPort[i]! : ct.clientPort[i]!;
    const o = r.verdicts.outcome[s * ct.count + i]!;
    if (!c.deniedHere[k]) {
      passedPorts.push(port);
      passedDetail.push(OUTCOME_WORDS[OUTCOMES[o]!]);
    } else denied[o]!.push(port);
  }
  const what = requests && replies ? 'destination ports' : replies ? 'client ports of replies' : 'service ports of requests';
  const lanes: StripLane[] = [];
  if (passedPorts.length) lanes.push({ tone: 'ok', label: 'allowed here', ports: passedPorts, detail: passedDetail, noun: 'connections', what });
  OUTCOMES.forEach((o, code) => {
    if (denied[code]!.length) lanes.push({ tone: o, label: OUTCOME_WORDS[o], ports: denied[code]!, noun: 'connections', what: `denied here, ${what}` });
  });
  return lanes;
}

/**
 * The spec of one placement alone: what this ACL's own rules do, with the replay's evaluator. In a topology a packet
 * may also cross another subnet's ACL; the strips show each ACL by itself (the outcomes show the whole path).
 */
export function placementSpec(spec: ReplaySpec, placement: number): ReplaySpec {
  return { acls: spec.acls, placements: [{ ...spec.placements[placement]!, scenario: 0 }], scenarios: [{ first: 0, count: 1 }] };
}

function inside(subnets: Cidr[], words: Uint32Array, id: number, family: number): boolean {
  return subnets.some((c) => c.family === family && cidrContains(c, words, 4 * id));
}

/** Strips of scenario s: one per placement and direction. */
export function replayStrips(r: ReplayResult, s: number): ReplayStrip[] {
  const scenario = r.plan.scenarios[s]!;
  const ct = r.connections;
  const words = ct.addresses.words;
  const out: ReplayStrip[] = [];
  scenario.placements.forEach((p, k) => {
    const acl = r.plan.acls[p.acl]!;
    const byDirection: Record<'inbound' | 'outbound', Crossings> = { inbound: { rows: [], fromClient: [], deniedHere: new Uint8Array(0) }, outbound: { rows: [], fromClient: [], deniedHere: new Uint8Array(0) } };
    for (let i = 0; i < ct.count; i++) {
      const proto = ct.proto[i]!;
      if (proto !== 6 && proto !== 17) continue;
      const family = ct.family[i]!;
      const inC = inside(p.subnets, words, ct.client[i]!, family);
      const inS = inside(p.subnets, words, ct.server[i]!, family);
      if (inC === inS) continue;
      // Requests enter the server's side; replies enter the client's side.
      const req = byDirection[inS ? 'inbound' : 'outbound'];
      req.rows.push(i);
      req.fromClient.push(1);
      const rep = byDirection[inC ? 'inbound' : 'outbound'];
      rep.rows.push(i);
      rep.fromClient.push(0);
    }
    const alone = placementSpec(r.spec, r.spec.scenarios[s]!.first + k);
    for (const direction of ['inbound', 'outbound'] as const) {
      const crossings = byDirection[direction];
      const codes = judgeConnectionPackets(alone, 0, ct, crossings.rows, crossings.fromClient);
      crossings.deniedHere = Uint8Array.from(codes, (v) => (v < 0 ? 1 : 0));
      const rules = direction === 'inbound' ? acl.inbound : acl.outbound;
      const families = ([4, 6] as const).filter((f) => crossings.rows.some((i) => ct.family[i] === f));
      const probes: StripProbe[] = families.length
        ? families.map((f) => pickProbe(r, crossings, f))
        : ([4, 6] as const).flatMap((f) => {
            const subnet = p.subnets.find((c) => c.family === f);
            return subnet ? [syntheticProbe(subnet, direction)] : [];
          });
      const rows: StripRow[] = [];
      const coverage: { label: string; allowed: Uint8Array }[] = [];
      for (const probe of probes) {
        for (const proto of PROTOCOLS) {
          const label = `${proto.name} · IPv${probe.family}`;
          const allowed = allowedPorts(alone, 0, probe.src, probe.dst, proto.number, probe.sport, probe.tcpFlags);
          const runs = decidingRules(rules, probe, proto.number);
          coverage.push({ label, allowed });
          rows.push({
            label,
            segments: ruleSegments(rules, runs, allowed, `${label}:`),
            lanes: outcomeLanes(r, s, crossings, (n) => ct.family[crossings.rows[n]!] === probe.family && ct.proto[crossings.rows[n]!] === proto.number),
          });
        }
      }
      const dirWord = direction === 'inbound' ? 'ingress (inbound)' : 'egress (outbound)';
      out.push({
        placement: k,
        acl: acl.id,
        direction,
        probes,
        crossings: crossings.rows.length,
        model: {
          label: `${acl.id} ${dirWord}: destination ports allowed and denied, with port-range profiles and the ports the capture used`,
          data: [
            ['acl', acl.id],
            ['direction', direction],
            ['placement', String(k)],
          ],
          bands: profileBands(r.clients, coverage),
          rows,
        },
      });
    }
  });
  return out;
}

/** AWS says ingress and egress. */
function awsDirection(d: Direction): string {
  return d === 'inbound' ? 'ingress (inbound)' : 'egress (outbound)';
}

/** The return-traffic coverage of one direction as a strip (lint): allowed ranges from lint, deciding rules from the linear reference. */
export function coverageStrip(acl: Acl, direction: Direction, entries: CoverageReport[]): PortStripModel | null {
  if (entries.length === 0) return null;
  const rows = entries.map((c) => {
    const allowed = new Uint8Array(65536);
    for (const [lo, hi] of c.allowed) allowed.fill(1, lo, hi + 1);
    const src = hostOf(c.probe.src);
    const dst = hostOf(c.probe.dst);
    const label = `${c.protocol.toUpperCase()} · IPv${c.family}`;
    const rules = acl[c.direction];
    const proto = c.protocol === 'tcp' ? 6 : 17;
    const runs = src && dst ? decidingRules(rules, { family: c.family, src, dst, sport: c.probe.sport, tcpFlags: ProbeFlags.ACK }, proto) : [{ lo: 0, hi: 65535, index: -1 }];
    return { row: { label, segments: ruleSegments(rules, runs, allowed, `${label}:`), lanes: [] } as StripRow, allowed, label };
  });
  return {
    label: `${acl.id} ${awsDirection(direction)}: destination ports allowed for return traffic, with port-range profiles`,
    data: [
      ['acl', acl.id],
      ['direction', direction],
    ],
    bands: profileBands(null, rows.map((r) => ({ label: r.label, allowed: r.allowed }))),
    rows: rows.map((r) => r.row),
  };
}
