/** The VPC flow-log source: read files and directories into FlowLogBatches, fold them into connections. */
export { FlowLogBatch, Has, DEFAULT_FLOWLOG_BATCH } from './batch.js';
export { Field, FIELD_NAMES, DEFAULT_V2, Action, LogStatus, FlowDirection, fieldId, headerLayout } from './fields.js';
export { LineParser, LineError, parseAddress } from './parse.js';
export { StringTable } from './strings.js';
export { CoverageGaps, type CoverageGap } from './gaps.js';
export { isFlowLog, sniffFlowLog, notTrafficError, FLOWLOG_SNIFF_BYTES, type FlowLogSniff, type FlowLogFormat } from './sniff.js';
export { FlowLogReader, listFlowLogFiles, type FlowLogReadOptions, type FlowLogFileInfo } from './reader.js';
export { gunzipFile, type GzipFailure } from './gzip.js';
export {
  FlowLogConnections,
  foldRecords,
  orientationEvidence,
  dirFlagsFromTcpFlags,
  ConnBit,
  DirSeen,
  Verdict,
  DirAction,
  PktDiffers,
  type FoldOptions,
  type OrientationEvidence,
} from './connections.js';
export { fromFlowLogConnections, orientLogged, loggedAttempt, type LoggedNames } from './table.js';
export { readFlowLogTraffic, type FlowLogSummary, type FlowLogTraffic, type FlowLogSourceOptions, type CoverageGapRecord } from './source.js';
export { judgeLoggedTraffic } from './judge.js';
