/** The commands a shard plan can be made for: the ones that read traffic and print from it. */
export const PLAN_COMMANDS = ['info', 'flows', 'clients', 'replay', 'diagnose'] as const;
export type PlanCommand = (typeof PLAN_COMMANDS)[number];

/** Codec version of a flow-log shard's partial (src/shard/flowlogs.ts); capture partials use the pass's PARTIAL_VERSION. */
export const FLOWLOG_PARTIAL_VERSION = 1;
