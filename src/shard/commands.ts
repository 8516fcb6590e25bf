/** The commands a shard plan can be made for: the ones that read traffic and print from it. */
export const PLAN_COMMANDS = ['info', 'flows', 'clients', 'replay', 'diagnose'] as const;
export type PlanCommand = (typeof PLAN_COMMANDS)[number];
