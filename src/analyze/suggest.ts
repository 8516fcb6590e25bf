/**
 * Least privilege from traffic: a network ACL for a subnet that allows what the traffic used and worked (each
 * service on its port, each client's whole ephemeral range for its replies, the ICMP types seen) and denies the
 * rest, within the AWS rule quota; or, given the subnet's current ACL, a tightening of it: each allow rule narrowed
 * to what working connections used through it (split by protocol, in its own place in the rule order, so denies keep
 * their effect), unused allow rules deleted, denies untouched.
 *
 * Use is measured per rule: each packet direction of every connection that worked (a completed handshake or an
 * answered request; ICMP messages count as used) is classified, at every gate it crosses, by the base ACL (the
 * current one, or one allow-all rule per family and direction), with the replay's own classifier. The proposal is
 * then replayed beside the base on the same traffic: every connection that worked under the base must still work
 * (else this is a bug, raised as such), and the diff of outcomes lists what stops working.
 */
import { readTraffic, type ReadTrafficOptions, type TrafficSummary } from './traffic.js';
import { replayPlan, type ReplayResult } from './replay.js';
import { diffScenarios, type DiffReport } from './diff.js';
import { inferClients, type ClientTable } from '../flow/clients.js';
import { Attempt, ConnBit, protoName, type ConnectionTable } from '../flow/connections.js';
import { compileAcl } from '../acl/compile.js';
import { anyCidr, cidrContains, defaultDeny, describeRule, formatCidr, formatPorts, protocolName, type Acl, type Cidr, type Direction, type Rule } from '../acl/model.js';
import { ruleEntry } from '../acl/emit/entries.js';
import { entryCommand, type EntryChange } from '../acl/emit/commands.js';
import { connectionRules } from '../verdict/probe.js';
import { OutcomeCode } from '../verdict/outcomes.js';
import type { ReplayPlan } from '../verdict/plan.js';
import { UsageError } from '../errors.js';
import { addRange } from './coverage.js';

/** Rule numbers of a new ACL: 100, 110, 120, ... */
const FIRST_RULE = 100;
const RULE_STEP = 10;
/** Cost of allowing every ICMP type instead of the types seen, against ports a port merge opens. */
const ICMP_MERGE_COST = 256;

export interface SuggestOptions {
  subnets: Cidr[];
  /** The subnet's ACL now (tighten it), or null (propose a new one). */
  current: Acl | null;
  /** Rules per direction and address family. */
  maxRules: number;
  pass?: ReadTrafficOptions;
  /** Id of a new ACL (default 'suggested'). */
  id?: string;
}

/** Why a rule of the proposal is there. */
export interface RuleReason {
  direction: Direction;
  ruleNumber: number;
  rule: string;
  reason: string;
}

/** One aws ec2 change of a tightening, with its command and why. */
export interface ChangeReason {
  change: EntryChange;
  command: string;
  reason: string;
}

export interface SuggestReport {
  traffic: string[];
  /** The traffic as read (problems met reading it). */
  summary: TrafficSummary;
  subnets: string[];
  mode: 'new' | 'tighten';
  /** The proposed ACL (the tightened one with --acl). */
  acl: Acl;
  /** What it was judged against: the current ACL, or allow-all. */
  base: Acl;
  rules: RuleReason[];
  /** The tightening as aws ec2 changes, in the order to apply them (creates, replacements, deletions). */
  changes: ChangeReason[];
  /** Merges made to fit the quota, and what each opens. */
  merges: string[];
  maxRules: number;
  /** Connections that worked in the traffic and were allowed by the base, and how many the proposal still allows. */
  worked: number;
  stillWork: number;
  /** Connections that worked in the traffic although the base ACL blocks them (a tightening cannot help them). */
  blockedByBase: number;
  diff: DiffReport;
}

/** One protocol's use of one base rule. */
interface ProtoUse {
  proto: number;
  /** TCP/UDP service ports: connections and servers (address ids). */
  services: Map<number, { connections: number; servers: Set<number>; clients: Set<number> }>;
  /** TCP/UDP replies: per client address, its range and connections. */
  returns: Map<number, { range: [number, number]; connections: number }>;
  /** ICMP types seen (echo request/reply, messages). */
  icmp: Map<number, number>;
  /** Connections of other protocols. */
  other: number;
}

interface Piece {
  proto: number;
  from: number;
  to: number;
  icmpType: number;
}

/** The allow-all ACL AWS creates by default (rule 100 for IPv4, 101 for IPv6, each way). */
export function allowAll(id: string): Acl {
  const rule = (n: number, family: 4 | 6, direction: Direction): Rule => ({
    ruleNumber: n,
    action: 'allow',
    family,
    protocol: 0,
    protocolMask: 0,
    src: anyCidr(family),
    dst: anyCidr(family),
    srcPorts: [0, 65535],
    dstPorts: [0, 65535],
    icmpType: -1,
    icmpCode: -1,
    tcpFlags: null,
    origin: { file: '(allow-all)' },
    description: `allow all ${direction}`,
  });
  const origin = { file: '(allow-all)' };
  return {
    id,
    name: null,
    file: '(allow-all)',
    format: 'aws',
    inbound: [rule(100, 4, 'inbound'), rule(101, 6, 'inbound'), defaultDeny(4, 'inbound', origin), defaultDeny(6, 'inbound', origin)],
    outbound: [rule(100, 4, 'outbound'), rule(101, 6, 'outbound'), defaultDeny(4, 'outbound', origin), defaultDeny(6, 'outbound', origin)],
    associations: [],
    tags: {},
    warnings: [],
  };
}

/** True when the row counts as a connection that worked (and so must keep working). */
function worked(ct: ConnectionTable, i: number): boolean {
  return ct.attempt[i] === Attempt.COMPLETED || (ct.bits[i]! & ConnBit.ICMP_MESSAGE) !== 0;
}

/** Index of the first subnet holding each address (-1: none). */
function memberships(ct: ConnectionTable, subnets: readonly Cidr[]): Int32Array {
  const a = ct.addresses;
  const out = new Int32Array(a.count).fill(-1);
  for (let id = 0; id < a.count; id++) {
    for (let k = 0; k < subnets.length; k++) {
      const c = subnets[k]!;
      if (c.family === a.family[id] && cidrContains(c, a.words, 4 * id)) {
        out[id] = k;
        break;
      }
    }
  }
  return out;
}

/** The client's range for its replies: its inferred profile's range widened to its ports seen. */
function clientRange(t: ClientTable, ct: ConnectionTable, row: number): [number, number] {
  const c = t.ofConnection(row);
  if (c < 0) return [ct.clientPort[row]!, ct.clientPort[row]!];
  return [Math.min(t.rangeLo[c]!, t.minPort[c]!), Math.max(t.rangeHi[c]!, t.maxPort[c]!)];
}

/** Per direction and base rule index, per protocol: what connections that worked used. */
function measureUse(ct: ConnectionTable, t: ClientTable, base: Acl, subnets: readonly Cidr[]): { use: Record<Direction, Map<number, Map<number, ProtoUse>>>; worked: number; blocked: number; rows: Uint8Array } {
  const member = memberships(ct, subnets);
  const compiled = compileAcl(base);
  // Each worked row's packet directions and the gates they cross: (row, fromClient) per ACL direction.
  const lists: Record<Direction, { rows: number[]; from: number[] }> = { inbound: { rows: [], from: [] }, outbound: { rows: [], from: [] } };
  for (let i = 0; i < ct.count; i++) {
    if (!worked(ct, i)) continue;
    const mc = member[ct.client[i]!]!;
    const ms = member[ct.server[i]!]!;
    if (mc === ms) continue; // within one subnet, or outside them all: the ACL never sees it
    for (const fromClient of [1, 0]) {
      if ((fromClient ? ct.clientPackets[i] : ct.serverPackets[i]) === 0) continue;
      const src = fromClient ? mc : ms;
      const dst = fromClient ? ms : mc;
      if (src >= 0) {
        lists.outbound.rows.push(i);
        lists.outbound.from.push(fromClient);
      }
      if (dst >= 0) {
        lists.inbound.rows.push(i);
        lists.inbound.from.push(fromClient);
      }
    }
  }
  const rules: Record<Direction, Int32Array> = {
    inbound: connectionRules(compiled.inbound, ct, lists.inbound.rows, lists.inbound.from),
    outbound: connectionRules(compiled.outbound, ct, lists.outbound.rows, lists.outbound.from),
  };
  // A row any of whose directions the base denies is not working under the base: a tightening leaves it alone.
  const state = new Uint8Array(ct.count); // 1 = worked and allowed, 2 = worked but blocked by the base
  for (const dir of ['inbound', 'outbound'] as const) {
    const l = lists[dir];
    l.rows.forEach((row, k) => {
      const r = rules[dir][k]!;
      const allowed = r >= 0 && base[dir][r]!.action === 'allow';
      if (!allowed) state[row] = 2;
      else if (state[row] === 0) state[row] = 1;
    });
  }
  const use: Record<Direction, Map<number, Map<number, ProtoUse>>> = { inbound: new Map(), outbound: new Map() };
  for (const dir of ['inbound', 'outbound'] as const) {
    const l = lists[dir];
    l.rows.forEach((row, k) => {
      const r = rules[dir][k]!;
      if (r < 0 || state[row] !== 1) return;
      let byProto = use[dir].get(r);
      if (!byProto) use[dir].set(r, (byProto = new Map()));
      const proto = ct.proto[row]!;
      let u = byProto.get(proto);
      if (!u) byProto.set(proto, (u = { proto, services: new Map(), returns: new Map(), icmp: new Map(), other: 0 }));
      const forward = l.from[k] === 1;
      if (proto === 6 || proto === 17) {
        if (forward) {
          const port = ct.serverPort[row]!;
          let s = u.services.get(port);
          if (!s) u.services.set(port, (s = { connections: 0, servers: new Set(), clients: new Set() }));
          s.connections++;
          s.servers.add(ct.server[row]!);
          s.clients.add(ct.client[row]!);
        } else {
          const c = ct.client[row]!;
          const e = u.returns.get(c);
          if (e) e.connections++;
          else u.returns.set(c, { range: clientRange(t, ct, row), connections: 1 });
        }
      } else if (proto === 1 || proto === 58) {
        const message = (ct.bits[row]! & ConnBit.ICMP_MESSAGE) !== 0;
        const type = message ? ct.icmpType[row]! : proto === 1 ? (forward ? 8 : 0) : forward ? 128 : 129;
        // (An ICMP message row holds one message kind, whichever side sent it.)
        u.icmp.set(type, (u.icmp.get(type) ?? 0) + 1);
      } else u.other++;
    });
  }
  let w = 0;
  let blocked = 0;
  for (let i = 0; i < ct.count; i++) {
    if (state[i] === 1) w++;
    else if (state[i] === 2) blocked++;
  }
  return { use, worked: w, blocked, rows: state };
}

/** The pieces one base rule narrows to: per protocol, the port ranges or ICMP types used, inside the rule. */
function piecesOf(r: Rule, uses: Map<number, ProtoUse>): Piece[] {
  const out: Piece[] = [];
  for (const proto of [...uses.keys()].sort((a, b) => protoOrder(a) - protoOrder(b) || a - b)) {
    const u = uses.get(proto)!;
    if (proto === 6 || proto === 17) {
      const ranges: [number, number][] = [];
      for (const port of u.services.keys()) addRange(ranges, port, port);
      for (const e of u.returns.values()) addRange(ranges, e.range[0], e.range[1]);
      for (const [a, b] of ranges) {
        const from = Math.max(a, r.dstPorts[0]);
        const to = Math.min(b, r.dstPorts[1]);
        if (from <= to) out.push({ proto, from, to, icmpType: -1 });
      }
    } else if (proto === 1 || proto === 58) {
      if (r.icmpType !== -1) out.push({ proto, from: 0, to: 65535, icmpType: r.icmpType });
      else for (const type of [...u.icmp.keys()].sort((a, b) => a - b)) out.push({ proto, from: 0, to: 65535, icmpType: type });
    } else out.push({ proto, from: 0, to: 65535, icmpType: -1 });
  }
  return out;
}

function protoOrder(p: number): number {
  return p === 6 ? 0 : p === 17 ? 1 : p === 1 ? 2 : p === 58 ? 3 : 4;
}

/** The cheapest merge of two pieces of one rule (same protocol): [index, cost], or null. */
function cheapestMerge(pieces: Piece[]): [number, number] | null {
  let best: [number, number] | null = null;
  for (let k = 1; k < pieces.length; k++) {
    const a = pieces[k - 1]!;
    const b = pieces[k]!;
    if (a.proto !== b.proto) continue;
    const cost = a.proto === 6 || a.proto === 17 ? b.from - a.to - 1 : ICMP_MERGE_COST;
    if (!best || cost < best[1]) best = [k, cost];
  }
  return best;
}

/** Merge pieces[k - 1] and pieces[k]; returns what the merge opens, for the reason line. */
function mergeAt(pieces: Piece[], k: number): string {
  const a = pieces[k - 1]!;
  const b = pieces[k]!;
  let words: string;
  if (a.proto === 6 || a.proto === 17) {
    words = `${protoName(a.proto)} ${formatPorts([a.from, a.to])} and ${formatPorts([b.from, b.to])} into ${a.from}-${b.to}, which also allows ${formatPorts([a.to + 1, b.from - 1])} (never used by a connection that worked)`;
    a.to = b.to;
    pieces.splice(k, 1);
  } else {
    words = `the ${protoName(a.proto)} types ${pieces.filter((p) => p.proto === a.proto).map((p) => p.icmpType).join(', ')} into all ${protoName(a.proto)} types`;
    const first = pieces.findIndex((p) => p.proto === a.proto);
    pieces[first] = { ...a, icmpType: -1 };
    for (let j = pieces.length - 1; j > first; j--) if (pieces[j]!.proto === a.proto) pieces.splice(j, 1);
  }
  return words;
}

/** A rule of `base`'s rule `r` (same family, CIDRs, action) narrowed to a piece. */
function pieceRule(r: Rule, p: Piece, ruleNumber: number): Rule {
  const icmp = p.proto === 1 || p.proto === 58;
  return {
    ruleNumber,
    action: 'allow',
    family: r.family,
    protocol: p.proto,
    protocolMask: 0xff,
    src: r.src,
    dst: r.dst,
    srcPorts: [0, 65535],
    dstPorts: p.proto === 6 || p.proto === 17 ? [p.from, p.to] : [0, 65535],
    icmpType: icmp ? p.icmpType : -1,
    icmpCode: icmp && p.icmpType !== -1 && r.icmpType === p.icmpType ? r.icmpCode : -1,
    tcpFlags: null,
    origin: { file: '(suggested)' },
  };
}

function sameRule(a: Rule, b: Rule): boolean {
  return a.protocol === b.protocol && a.protocolMask === b.protocolMask && a.dstPorts[0] === b.dstPorts[0] && a.dstPorts[1] === b.dstPorts[1] && a.icmpType === b.icmpType && a.icmpCode === b.icmpCode;
}

/** Why a piece is there, from the uses it covers. */
function pieceReason(ct: ConnectionTable, t: ClientTable, dir: Direction, p: Piece, u: ProtoUse): string {
  const parts: string[] = [];
  if (p.proto === 6 || p.proto === 17) {
    const services = [...u.services].filter(([port]) => port >= p.from && port <= p.to).sort((a, b) => a[0] - b[0]);
    if (services.length) {
      const conns = services.reduce((n, [, s]) => n + s.connections, 0);
      const servers = new Set(services.flatMap(([, s]) => [...s.servers]));
      const clients = new Set(services.flatMap(([, s]) => [...s.clients]));
      const where = dir === 'inbound' ? `served by ${servers.size === 1 ? ct.addresses.text([...servers][0]!) : `${servers.size} hosts`} in the subnet` : `outside the subnet, on ${servers.size === 1 ? ct.addresses.text([...servers][0]!) : `${servers.size} hosts`}`;
      parts.push(`the service${services.length === 1 ? '' : 's'} ${protoName(p.proto)}/${services.map(([port]) => port).join(', ')} ${where} (${conns} connection${conns === 1 ? '' : 's'} that worked, ${clients.size} client${clients.size === 1 ? '' : 's'})`);
    }
    const returns = [...u.returns].filter(([, e]) => e.range[1] >= p.from && e.range[0] <= p.to);
    if (returns.length) {
      const byProfile = new Map<string, number>();
      for (const [addr, e] of returns) {
        const c = t.byAddress[addr]!;
        const name = `${c >= 0 ? t.profileName(c) : 'unknown'} ${e.range[0]}-${e.range[1]}`;
        byProfile.set(name, (byProfile.get(name) ?? 0) + 1);
      }
      const conns = returns.reduce((n, [, e]) => n + e.connections, 0);
      parts.push(`replies to the whole ephemeral range of ${returns.length} client${returns.length === 1 ? '' : 's'} ${dir === 'inbound' ? 'in' : 'outside'} the subnet (${[...byProfile].map(([k, n]) => `${k}: ${n}`).join(', ')}; ${conns} connection${conns === 1 ? '' : 's'} that worked)`);
    }
  } else if (p.proto === 1 || p.proto === 58) {
    const types = p.icmpType === -1 ? [...u.icmp.keys()] : [p.icmpType];
    const n = types.reduce((k, ty) => k + (u.icmp.get(ty) ?? 0), 0);
    parts.push(`${protoName(p.proto)} type${types.length === 1 ? '' : 's'} ${types.join(', ')} seen ${n} time${n === 1 ? '' : 's'}`);
  } else parts.push(`${u.other} ${protocolName(p.proto)} flow${u.other === 1 ? '' : 's'}`);
  return parts.join('; ');
}

const dirWord = (d: Direction) => (d === 'outbound' ? 'egress' : 'ingress');

/** Propose a new ACL for the subnets, or tighten `opts.current`, from the traffic. */
export async function suggestAcl(traffic: string | readonly string[], opts: SuggestOptions): Promise<SuggestReport> {
  const inputs = typeof traffic === 'string' ? [traffic] : [...traffic];
  const analysis = await readTraffic(inputs, { ...opts.pass, replay: undefined });
  const ct = analysis.connections;
  const clients = inferClients(ct);
  const tighten = opts.current !== null;
  const base = opts.current ?? allowAll('allow-all');
  const { use, worked: workedCount, blocked } = measureUse(ct, clients, base, opts.subnets);
  const merges: string[] = [];
  const rules: RuleReason[] = [];
  const changes: ChangeReason[] = [];
  const id = tighten ? base.id : (opts.id ?? 'suggested');
  const proposed: Acl = { ...base, id, inbound: [], outbound: [], file: tighten ? base.file : '(suggested)', warnings: [] };
  if (!tighten) {
    proposed.name = null;
    proposed.tags = {};
    proposed.format = 'aws';
    proposed.associations = opts.subnets.map((c) => ({ subnetId: null, cidr: formatCidr(c) }));
  }
  for (const dir of ['inbound', 'outbound'] as const) {
    const list = base[dir];
    // Per base rule: the pieces it narrows to.
    const plan = list.map((r, k) => {
      const uses = use[dir].get(k);
      if (r.ruleNumber === '*' || r.action === 'deny') return { r, pieces: null as Piece[] | null, keep: true, numbers: [] as number[], uses: uses ?? new Map<number, ProtoUse>() };
      return { r, pieces: uses ? piecesOf(r, uses) : [], keep: false, numbers: [] as number[], uses: uses ?? new Map<number, ProtoUse>() };
    });
    // Room to split a rule in place (tightening): its own number, then numbers no rule uses below the next rule of
    // its family (IPv4 and IPv6 entries share one number space per direction but are evaluated apart).
    const used = new Set(list.filter((r) => r.ruleNumber !== '*').map((r) => r.ruleNumber as number));
    const numbersFor = (r: Rule, want: number): number[] => {
      const n = r.ruleNumber as number;
      if (!tighten) return Array.from({ length: want }, () => 0);
      const next = list.filter((x) => x.family === r.family && x.ruleNumber !== '*' && (x.ruleNumber as number) > n).reduce((m, x) => Math.min(m, x.ruleNumber as number), 32767);
      const out = [n];
      for (let k = n + 1; k < next && out.length < want; k++) if (!used.has(k)) out.push(k);
      return out;
    };
    for (const e of plan) {
      if (e.keep || !e.pieces) continue;
      const avail = numbersFor(e.r, e.pieces.length);
      while (e.pieces.length > avail.length) {
        const m = cheapestMerge(e.pieces);
        if (!m) break;
        merges.push(`${dirWord(dir)} rule ${e.r.ruleNumber}: no free rule number to split it further, merged ${mergeAt(e.pieces, m[0])}`);
      }
      if (e.pieces.length > avail.length) {
        merges.push(`${dirWord(dir)} rule ${e.r.ruleNumber}: kept as it is (its ${e.pieces.length} protocols need ${e.pieces.length} rule numbers, ${avail.length} ${avail.length === 1 ? 'is' : 'are'} free)`);
        e.keep = true;
        continue;
      }
      e.numbers = avail;
      for (const k of avail) used.add(k);
    }
    // The quota, per family: merge the cheapest pieces of any rule first.
    for (const family of [4, 6] as const) {
      const count = () => plan.reduce((n, e) => n + (e.r.family !== family || e.r.ruleNumber === '*' ? 0 : e.keep ? 1 : e.pieces!.length), 0);
      while (count() > opts.maxRules) {
        let best: { e: (typeof plan)[number]; k: number; cost: number } | null = null;
        for (const e of plan) {
          if (e.r.family !== family || e.keep) continue;
          const m = cheapestMerge(e.pieces!);
          if (m && (!best || m[1] < best.cost)) best = { e, k: m[0], cost: m[1] };
        }
        if (!best) {
          if (!tighten) throw new UsageError(`--max-rules ${opts.maxRules} is too few: ${dirWord(dir)} IPv${family} needs at least ${count()} rules (one per protocol used)`);
          // Undo a split (keep the rule as it is), the one that added the most rules.
          const split = plan.filter((e) => e.r.family === family && !e.keep && e.pieces!.length > 1).sort((a, b) => b.pieces!.length - a.pieces!.length)[0];
          if (!split) break;
          merges.push(`${dirWord(dir)} rule ${split.r.ruleNumber}: kept as it is to stay within ${opts.maxRules} rules`);
          split.keep = true;
          continue;
        }
        merges.push(`${dirWord(dir)} IPv${family}, to fit ${opts.maxRules} rules: merged ${mergeAt(best.e.pieces!, best.k)}`);
      }
    }
    // The rules of the proposal and, when tightening, the changes that make it.
    const out: Rule[] = [];
    let next = FIRST_RULE;
    const fresh: { rule: Rule; reason: string }[] = [];
    for (const e of plan) {
      const r = e.r;
      if (e.keep) {
        out.push(r);
        if (r.ruleNumber !== '*') rules.push({ direction: dir, ruleNumber: r.ruleNumber as number, rule: describeRule(r), reason: r.action === 'deny' ? 'an explicit deny: unchanged' : 'kept as it is (see the merges)' });
        continue;
      }
      if (!e.pieces) continue;
      if (!tighten) {
        for (const p of e.pieces) fresh.push({ rule: pieceRule(r, p, 0), reason: pieceReason(ct, clients, dir, p, e.uses.get(p.proto)!) });
        continue;
      }
      const n = r.ruleNumber as number;
      if (e.pieces.length === 0) {
        changes.push({ change: { action: 'delete', egress: dir === 'outbound', ruleNumber: n }, command: '', reason: `delete ${dirWord(dir)} rule ${n} (${describeRule(r)}): no connection that worked used it` });
        continue;
      }
      e.pieces.forEach((p, k) => {
        const nk = e.numbers[k]!;
        const nr = pieceRule(r, p, nk);
        out.push(nr);
        const why = pieceReason(ct, clients, dir, p, e.uses.get(p.proto)!);
        rules.push({ direction: dir, ruleNumber: nk, rule: describeRule(nr), reason: why });
        if (k === 0) {
          if (!sameRule(nr, r)) changes.push({ change: { action: 'replace', entry: ruleEntry(id, dir, nr) }, command: '', reason: `narrow ${dirWord(dir)} rule ${n} from ${describeRule(r)} to ${describeRule(nr)}: ${why}` });
        } else changes.push({ change: { action: 'create', entry: ruleEntry(id, dir, nr) }, command: '', reason: `add ${dirWord(dir)} rule ${nk} (${describeRule(nr)}), split from rule ${n}: ${why}` });
      });
    }
    if (!tighten) {
      // New ACL: IPv4 rules first, then IPv6, numbered 100, 110, ...
      fresh.sort((a, b) => a.rule.family - b.rule.family || protoOrder(a.rule.protocol) - protoOrder(b.rule.protocol) || a.rule.dstPorts[0] - b.rule.dstPorts[0] || a.rule.icmpType - b.rule.icmpType);
      for (const f of fresh) {
        f.rule.ruleNumber = next;
        rules.push({ direction: dir, ruleNumber: next, rule: describeRule(f.rule), reason: f.reason });
        next += RULE_STEP;
      }
      out.unshift(...fresh.map((f) => f.rule));
    }
    // Ascending rule numbers (pieces of an IPv4 rule may sit between IPv6 ones), the '*' denies last.
    out.sort((a, b) => (a.ruleNumber === '*' ? 1 : 0) - (b.ruleNumber === '*' ? 1 : 0) || (a.ruleNumber === '*' ? a.family - b.family : (a.ruleNumber as number) - (b.ruleNumber as number)));
    proposed[dir] = out;
  }
  // Creates first, then replacements, then deletions: applied one by one, no step blocks what a later one allows.
  const order = { create: 0, replace: 1, delete: 2 } as const;
  changes.sort((a, b) => order[a.change.action] - order[b.change.action]);
  for (const c of changes) c.command = entryCommand(id, c.change);

  const result = await judge(inputs, base, proposed, opts);
  const diff = diffScenarios(result, 0, 1);
  const n = result.connections.count;
  let still = 0;
  const broken: number[] = [];
  const a = result.connections;
  for (let i = 0; i < n; i++) {
    if (!worked(a, i)) continue;
    const before = result.verdicts.outcome[i]!;
    if (before !== OutcomeCode.OK) continue;
    if (result.verdicts.outcome[n + i] === OutcomeCode.OK) still++;
    else broken.push(i);
  }
  if (broken.length) {
    const i = broken[0]!;
    throw new Error(`suggest: ${broken.length} connection${broken.length === 1 ? '' : 's'} that worked would stop working (first: ${protoName(a.proto[i]!)} ${a.addresses.text(a.client[i]!)}:${a.clientPort[i]} -> ${a.addresses.text(a.server[i]!)}:${a.serverPort[i]})`);
  }
  return {
    traffic: inputs,
    summary: analysis.summary,
    subnets: opts.subnets.map(formatCidr),
    mode: tighten ? 'tighten' : 'new',
    acl: proposed,
    base,
    rules,
    changes,
    merges,
    maxRules: opts.maxRules,
    worked: workedCount,
    stillWork: still,
    blockedByBase: blocked,
    diff,
  };
}

/** Replay the traffic against the base and the proposal (two scenarios on the same subnets). */
async function judge(traffic: readonly string[], base: Acl, proposed: Acl, opts: SuggestOptions): Promise<ReplayResult> {
  const name = opts.subnets.map(formatCidr).join(', ');
  const plan: ReplayPlan = {
    acls: [base, proposed],
    scenarios: [
      { name: opts.current ? `${base.id} (current)` : 'allow-all', placements: [{ acl: 0, subnets: opts.subnets, name }] },
      { name: opts.current ? `${proposed.id} (tightened)` : proposed.id, placements: [{ acl: 1, subnets: opts.subnets, name }] },
    ],
    topology: null,
  };
  return replayPlan(traffic, plan, opts.pass ?? {}, { skipDiagnoses: true });
}

