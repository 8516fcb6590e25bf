/** One pass over a capture, then the connection table every capture command reports from. */
import { runPass, type PassOptions, type PassResult } from '../pass/engine.js';
import { describeCapture, type CaptureSummary } from '../pass/summary.js';
import { fromFlowTable, type ConnectionTable } from '../flow/connections.js';
import { sessionNames } from '../decode/tunnels.js';

export interface CaptureAnalysis {
  pass: PassResult;
  summary: CaptureSummary;
  connections: ConnectionTable;
  unmatchedFragments: number;
  unattributedIcmpErrors: number;
}

/** Read the capture with flows on and build its connection table (the pass's flow table is released). */
export async function analyzeCapture(file: string, opts: PassOptions = {}): Promise<CaptureAnalysis> {
  const pass = await runPass(file, { ...opts, flows: true });
  const summary = describeCapture(pass);
  const connections = fromFlowTable(pass.merge.table, sessionNames(pass.merge.tunnels));
  pass.merge.releaseTable();
  return {
    pass,
    summary,
    connections,
    unmatchedFragments: pass.merge.unmatchedFragments,
    unattributedIcmpErrors: pass.merge.unattributedIcmpErrors,
  };
}
