/**
 * VPC flow-log field names (https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html, "Available
 * fields") and the field order of the default format. A field id is an index into FIELD_NAMES; the parser acts
 * on the ids it knows and skips every other named field (later versions' fields are read or ignored by name).
 */

/** Field ids the parser reads; every other name in a header is kept as IGNORED. */
export const Field = {
  IGNORED: 0,
  VERSION: 1,
  ACCOUNT_ID: 2,
  INTERFACE_ID: 3,
  SRCADDR: 4,
  DSTADDR: 5,
  SRCPORT: 6,
  DSTPORT: 7,
  PROTOCOL: 8,
  PACKETS: 9,
  BYTES: 10,
  START: 11,
  END: 12,
  ACTION: 13,
  LOG_STATUS: 14,
  VPC_ID: 15,
  SUBNET_ID: 16,
  INSTANCE_ID: 17,
  TCP_FLAGS: 18,
  TYPE: 19,
  PKT_SRCADDR: 20,
  PKT_DSTADDR: 21,
  REGION: 22,
  AZ_ID: 23,
  SUBLOCATION_TYPE: 24,
  SUBLOCATION_ID: 25,
  PKT_SRC_AWS_SERVICE: 26,
  PKT_DST_AWS_SERVICE: 27,
  FLOW_DIRECTION: 28,
  TRAFFIC_PATH: 29,
  REJECT_REASON: 30,
} as const;

/** Names by id, as AWS spells them in a format string and in the header line of S3 text files. */
export const FIELD_NAMES: readonly string[] = [
  '',
  'version',
  'account-id',
  'interface-id',
  'srcaddr',
  'dstaddr',
  'srcport',
  'dstport',
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
  'action',
  'log-status',
  'vpc-id',
  'subnet-id',
  'instance-id',
  'tcp-flags',
  'type',
  'pkt-srcaddr',
  'pkt-dstaddr',
  'region',
  'az-id',
  'sublocation-type',
  'sublocation-id',
  'pkt-src-aws-service',
  'pkt-dst-aws-service',
  'flow-direction',
  'traffic-path',
  'reject-reason',
];

/**
 * Fields of later versions that are recognised by name and skipped (v6 ECS fields, v7, v8): a header made of these
 * is still a flow-log header when sniffing.
 */
export const LATER_FIELDS: readonly string[] = [
  'ecs-cluster-arn',
  'ecs-cluster-name',
  'ecs-container-instance-arn',
  'ecs-container-instance-id',
  'ecs-container-id',
  'ecs-second-container-id',
  'ecs-service-name',
  'ecs-task-definition-arn',
  'ecs-task-arn',
  'ecs-task-id',
  'encryption-status',
];

/** The default format: the version 2 fields in AWS's order. */
export const DEFAULT_V2: readonly number[] = [
  Field.VERSION,
  Field.ACCOUNT_ID,
  Field.INTERFACE_ID,
  Field.SRCADDR,
  Field.DSTADDR,
  Field.SRCPORT,
  Field.DSTPORT,
  Field.PROTOCOL,
  Field.PACKETS,
  Field.BYTES,
  Field.START,
  Field.END,
  Field.ACTION,
  Field.LOG_STATUS,
];

const BY_NAME = new Map<string, number>();
FIELD_NAMES.forEach((n, i) => {
  if (i > 0) {
    BY_NAME.set(n, i);
    // Parquet column names use underscores (account_id, log_status, tcp_flags, ...)
    BY_NAME.set(n.replaceAll('-', '_'), i);
  }
});
const LATER = new Set<string>([...LATER_FIELDS, ...LATER_FIELDS.map((n) => n.replaceAll('-', '_'))]);

/** Id of a field name (dashes or underscores), Field.IGNORED for a known later field, -1 for an unknown word. */
export function fieldId(name: string): number {
  const id = BY_NAME.get(name);
  if (id !== undefined) return id;
  return LATER.has(name) ? Field.IGNORED : -1;
}

/** True for a word that looks like a field name (lowercase letters, digits, dashes or underscores): unknown future fields. */
export function looksLikeFieldName(name: string): boolean {
  return /^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$/.test(name);
}

/**
 * The field ids of a header line's words: known fields by id, later or unknown field-like names as IGNORED.
 * Null when a word is not field-like or no word names a field this module reads (so it is not a header).
 */
export function headerLayout(words: readonly string[]): number[] | null {
  const ids: number[] = [];
  let known = 0;
  for (const w of words) {
    const id = fieldId(w);
    if (id > 0) known++;
    else if (id < 0 && !looksLikeFieldName(w)) return null;
    ids.push(Math.max(0, id));
  }
  return known > 0 ? ids : null;
}

/** Values of `action`. */
export const Action = { UNSET: 0, ACCEPT: 1, REJECT: 2 } as const;
/** Values of `log-status`. */
export const LogStatus = { UNSET: 0, OK: 1, NODATA: 2, SKIPDATA: 3 } as const;
/** Values of `flow-direction` (version 5). */
export const FlowDirection = { UNSET: 0, INGRESS: 1, EGRESS: 2 } as const;
