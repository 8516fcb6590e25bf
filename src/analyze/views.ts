/**
 * What the HTML pages draw, computed before any markup: the port strips (judged by the replay's evaluator), the lint
 * of each candidate, and the diff of the first candidate against each other one. Reporters only render these.
 */
import type { Acl } from '../acl/model.js';
import type { TrafficSummary } from './traffic.js';
import type { ConnectionTable } from '../flow/connections.js';
import type { ClientTable } from '../flow/clients.js';
import type { ReplayResult } from './replay.js';
import type { CaptureFinding } from './findings.js';
import { lintAcl, type LintReport } from './lint.js';
import { diffScenarios, type DiffReport } from './diff.js';
import { coverageStrip, replayStrips, type PortStripModel, type ReplayStrip } from './strips.js';

/** Lint visits at most this many class combinations per direction and family here (large rule sets stay fast). */
const LINT_BUDGET = 200_000;

export interface ReplayView {
  result: ReplayResult;
  /** Per scenario, one strip per placement and direction. */
  strips: ReplayStrip[][];
  /** Per ACL of the plan, its lint report (null when linting it failed). */
  lint: (LintReport | null)[];
  /** diffs[b - 1]: the first candidate against candidate b. */
  diffs: DiffReport[];
}

export function replayView(r: ReplayResult): ReplayView {
  return {
    result: r,
    strips: r.plan.scenarios.map((_, s) => replayStrips(r, s)),
    lint: r.plan.acls.map((acl) => {
      try {
        return lintAcl(acl, { budget: LINT_BUDGET });
      } catch {
        return null;
      }
    }),
    diffs: r.plan.scenarios.slice(1).map((_, i) => diffScenarios(r, 0, i + 1)),
  };
}

export interface LintView {
  acls: Acl[];
  /** reports[i] is the lint of acls[i]. */
  reports: LintReport[];
  /** Per ACL, the return-traffic coverage strip of each direction (null without coverage that way). */
  strips: { inbound: PortStripModel | null; outbound: PortStripModel | null }[];
}

export function lintView(acls: Acl[], reports: LintReport[]): LintView {
  return {
    acls,
    reports,
    strips: acls.map((acl, i) => ({
      inbound: coverageStrip(acl, 'inbound', reports[i]!.coverage.filter((c) => c.direction === 'inbound')),
      outbound: coverageStrip(acl, 'outbound', reports[i]!.coverage.filter((c) => c.direction === 'outbound')),
    })),
  };
}

/** The capture-only diagnosis page's input. */
export interface DiagnoseView {
  summary: TrafficSummary;
  connections: ConnectionTable;
  clients: ClientTable;
  findings: CaptureFinding[];
}
