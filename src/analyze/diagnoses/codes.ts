/** Diagnosis codes (stable; the values --fail-on accepts besides outcomes), kept apart so the CLI loads no analysis to parse options. */
export const DIAGNOSIS_CODES = ['RETURN_PORT_NOT_ALLOWED', 'RANGE_PARTIALLY_COVERED', 'FORWARD_DENIED', 'ICMP_NEEDED', 'NOT_CROSSING_SUBNET', 'FAILURES_MATCH_RULE'] as const;
export type DiagnosisCode = (typeof DIAGNOSIS_CODES)[number];
