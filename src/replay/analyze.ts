/** One pass over a capture, then the connection view every capture command reports from. */
import { runPass, type PassOptions, type PassResult } from './engine.js';
import { describeCapture, type CaptureSummary } from './summary.js';
import { buildConnections, type Connection } from '../flow/connections.js';

export interface CaptureAnalysis {
  pass: PassResult;
  summary: CaptureSummary;
  connections: Connection[];
  unmatchedFragments: number;
  unattributedIcmpErrors: number;
}

/** Read the capture with flows on and build its connections. */
export async function analyzeCapture(file: string, opts: PassOptions = {}): Promise<CaptureAnalysis> {
  const pass = await runPass(file, { ...opts, flows: true });
  return {
    pass,
    summary: describeCapture(pass),
    connections: buildConnections(pass.merge.table),
    unmatchedFragments: pass.merge.unmatchedFragments,
    unattributedIcmpErrors: pass.merge.unattributedIcmpErrors,
  };
}
