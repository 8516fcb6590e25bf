/**
 * The text record parser: one line's bytes (buf, start, end) into one row of a FlowLogBatch, field by field as the
 * file's layout says, numbers and addresses parsed from the bytes (no split, no parseInt, no string per record).
 * `-` leaves a field unset ("If a field is not applicable or could not be computed for a specific record, the record
 * displays a '-' symbol", https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html).
 */
import { FlowLogBatch, Has } from './batch.js';
import { Field, Action, LogStatus, FlowDirection, FIELD_NAMES } from './fields.js';
import type { StringTable } from './strings.js';

/** Why a line was not a record (0 = it was). */
export const LineError = {
  NONE: 0,
  TOO_FEW_FIELDS: 1,
  TOO_MANY_FIELDS: 2,
  BAD_NUMBER: 3,
  OUT_OF_RANGE: 4,
  BAD_ADDRESS: 5,
  MIXED_FAMILIES: 6,
  BAD_VALUE: 7,
  MISSING_FIELD: 8,
} as const;

const SP = 0x20;
const TAB = 0x09;
const DASH = 0x2d;

/** Parse an unsigned decimal of at most 15 digits (exact in a double): the value, -1 for `-`, -2 for not a number. */
function parseNumber(b: Uint8Array, s: number, e: number): number {
  if (e - s === 1 && b[s] === DASH) return -1;
  if (e - s > 15 || e === s) return -2;
  let v = 0;
  for (let p = s; p < e; p++) {
    const d = b[p]! - 0x30;
    if (d < 0 || d > 9) return -2;
    v = v * 10 + d;
  }
  return v;
}

const groups = new Uint16Array(8);

/** Parse an IPv4 dotted quad into out[off]; false when it is not one. */
function parse4(b: Uint8Array, s: number, e: number, out: Uint32Array, off: number): boolean {
  let v = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let p = s; p < e; p++) {
    const c = b[p]!;
    if (c === 0x2e) {
      if (digits === 0 || dots === 3) return false;
      v = v * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      const d = c - 0x30;
      if (d < 0 || d > 9 || digits === 3) return false;
      part = part * 10 + d;
      if (part > 255) return false;
      digits++;
    }
  }
  if (dots !== 3 || digits === 0) return false;
  out[off] = (v * 256 + part) >>> 0;
  out[off + 1] = 0;
  out[off + 2] = 0;
  out[off + 3] = 0;
  return true;
}

/** Parse an IPv6 address (RFC 4291 2.2 text forms: `::`, embedded IPv4) into out[off..off+3]. */
function parse6(b: Uint8Array, s: number, e: number, out: Uint32Array, off: number): boolean {
  let n = 0;
  let gap = -1;
  let p = s;
  if (e - s >= 2 && b[s] === 0x3a && b[s + 1] === 0x3a) {
    gap = 0;
    p = s + 2;
    if (p === e) {
      out[off] = out[off + 1] = out[off + 2] = out[off + 3] = 0;
      return true;
    }
  } else if (b[s] === 0x3a) return false;
  while (p < e) {
    let v = 0;
    let digits = 0;
    const g0 = p;
    while (p < e) {
      const c = b[p]!;
      let d: number;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
      else break;
      v = v * 16 + d;
      digits++;
      p++;
    }
    if (p < e && b[p] === 0x2e) {
      // embedded IPv4 in the last 32 bits
      if (n > 6) return false;
      if (!parse4(b, g0, e, scratch4, 0)) return false;
      groups[n++] = scratch4[0]! >>> 16;
      groups[n++] = scratch4[0]! & 0xffff;
      p = e;
      break;
    }
    if (digits === 0 || digits > 4 || n === 8) return false;
    groups[n++] = v;
    if (p === e) break;
    if (b[p] !== 0x3a) return false;
    p++;
    if (p < e && b[p] === 0x3a) {
      if (gap >= 0) return false;
      gap = n;
      p++;
    } else if (p === e) return false;
  }
  if (gap < 0) {
    if (n !== 8) return false;
  } else {
    if (n > 7) return false;
    const tail = n - gap;
    for (let k = 0; k < tail; k++) groups[7 - k] = groups[n - 1 - k]!;
    for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  }
  for (let w = 0; w < 4; w++) out[off + w] = ((groups[2 * w]! << 16) | groups[2 * w + 1]!) >>> 0;
  return true;
}
const scratch4 = new Uint32Array(1);

/** Parse an address into out (4 words at off); returns 4 or 6, 0 for `-`, -1 when it is not an address. */
export function parseAddress(b: Uint8Array, s: number, e: number, out: Uint32Array, off: number): number {
  if (e - s === 1 && b[s] === DASH) return 0;
  for (let p = s; p < e; p++) if (b[p] === 0x3a) return parse6(b, s, e, out, off) ? 6 : -1;
  return parse4(b, s, e, out, off) ? 4 : -1;
}

function equalsAscii(b: Uint8Array, s: number, e: number, word: Uint8Array): boolean {
  if (e - s !== word.length) return false;
  for (let k = 0; k < word.length; k++) if (b[s + k] !== word[k]) return false;
  return true;
}
const ascii = (w: string): Uint8Array => Uint8Array.from(w, (c) => c.charCodeAt(0));
const W_ACCEPT = ascii('ACCEPT');
const W_REJECT = ascii('REJECT');
const W_OK = ascii('OK');
const W_NODATA = ascii('NODATA');
const W_SKIPDATA = ascii('SKIPDATA');
const W_INGRESS = ascii('ingress');
const W_EGRESS = ascii('egress');

/** Parses lines of one layout; the interned tables are the reader's. */
export class LineParser {
  /** Field id per column of the current layout. */
  private layout = new Uint8Array(64);
  fields = 0;
  /** After a failed parse: the column and byte range of the offending field (for the message). */
  errColumn = -1;
  errStart = 0;
  errEnd = 0;
  /** Tokens found on the failed line. */
  errTokens = 0;

  constructor(
    private readonly interfaces: StringTable,
    private readonly subnets: StringTable,
  ) {}

  setLayout(ids: readonly number[]): void {
    if (ids.length > this.layout.length) this.layout = new Uint8Array(ids.length);
    for (let k = 0; k < ids.length; k++) this.layout[k] = ids[k]!;
    this.fields = ids.length;
  }

  /** The field name of column k of the layout. */
  columnName(k: number): string {
    return FIELD_NAMES[this.layout[k]!] || 'an ignored field';
  }

  /** Parse buf[start, end) (no line terminator) into row i of the batch; LineError.NONE or why not. */
  parse(b: Uint8Array, start: number, end: number, batch: FlowLogBatch, i: number): number {
    batch.resetRow(i);
    const layout = this.layout;
    const nf = this.fields;
    let k = 0;
    let p = start;
    for (;;) {
      while (p < end && (b[p] === SP || b[p] === TAB)) p++;
      if (p >= end) break;
      const s = p;
      while (p < end && b[p] !== SP && b[p] !== TAB) p++;
      if (k === nf) return this.fail(LineError.TOO_MANY_FIELDS, k, s, p, k + 1);
      const err = this.field(layout[k]!, b, s, p, batch, i);
      if (err !== LineError.NONE) return this.fail(err, k, s, p, k + 1);
      k++;
    }
    if (k < nf) return this.fail(LineError.TOO_FEW_FIELDS, k, end, end, k);
    return this.finish(batch, i);
  }

  /** Checks after all fields: what a record of its log-status needs. */
  finish(batch: FlowLogBatch, i: number): number {
    const has = batch.present[i]!;
    let status = batch.logStatus[i]!;
    if (status === LogStatus.UNSET && has & Has.ADDRS) batch.logStatus[i] = status = LogStatus.OK;
    if (status === LogStatus.OK) {
      // an OK record is a flow: it has both addresses and a protocol
      if ((has & Has.ADDRS) === 0 || batch.family[i] === 0) return this.fail(LineError.MISSING_FIELD, Field.SRCADDR, 0, 0, -1);
      if ((has & Has.PROTOCOL) === 0) return this.fail(LineError.MISSING_FIELD, Field.PROTOCOL, 0, 0, -1);
    }
    return LineError.NONE;
  }

  private fail(err: number, column: number, s: number, e: number, tokens: number): number {
    this.errColumn = column;
    this.errStart = s;
    this.errEnd = e;
    this.errTokens = tokens;
    return err;
  }

  /** Parse one field's bytes into row i (also used by the Parquet reader with the value's bytes). */
  field(id: number, b: Uint8Array, s: number, e: number, batch: FlowLogBatch, i: number): number {
    switch (id) {
      case Field.SRCADDR:
      case Field.DSTADDR:
      case Field.PKT_SRCADDR:
      case Field.PKT_DSTADDR: {
        const out = id === Field.SRCADDR ? batch.src : id === Field.DSTADDR ? batch.dst : id === Field.PKT_SRCADDR ? batch.pktSrc : batch.pktDst;
        const fam = parseAddress(b, s, e, out, 4 * i);
        if (fam < 0) return LineError.BAD_ADDRESS;
        if (fam === 0) return LineError.NONE;
        const cur = batch.family[i]!;
        if (cur !== 0 && cur !== fam) return LineError.MIXED_FAMILIES;
        batch.family[i] = fam;
        if (id === Field.SRCADDR || id === Field.DSTADDR) {
          // ADDRS once both are set: count the halves in the two PORT-less bits below
          batch.present[i]! |= id === Field.SRCADDR ? SRC_SEEN : DST_SEEN;
          if ((batch.present[i]! & (SRC_SEEN | DST_SEEN)) === (SRC_SEEN | DST_SEEN)) batch.present[i]! |= Has.ADDRS;
        } else batch.present[i]! |= id === Field.PKT_SRCADDR ? Has.PKT_SRCADDR : Has.PKT_DSTADDR;
        return LineError.NONE;
      }
      case Field.SRCPORT:
      case Field.DSTPORT: {
        const v = parseNumber(b, s, e);
        if (v === -1) return LineError.NONE;
        if (v < 0) return LineError.BAD_NUMBER;
        if (v > 65535) return LineError.OUT_OF_RANGE;
        if (id === Field.SRCPORT) batch.srcPort[i] = v;
        else batch.dstPort[i] = v;
        batch.present[i]! |= Has.PORTS;
        return LineError.NONE;
      }
      case Field.PROTOCOL:
      case Field.VERSION:
      case Field.TCP_FLAGS:
      case Field.TRAFFIC_PATH: {
        const v = parseNumber(b, s, e);
        if (v === -1) return LineError.NONE;
        if (v < 0) return LineError.BAD_NUMBER;
        if (v > 255) return LineError.OUT_OF_RANGE;
        if (id === Field.PROTOCOL) {
          batch.proto[i] = v;
          batch.present[i]! |= Has.PROTOCOL;
        } else if (id === Field.VERSION) batch.version[i] = v;
        else if (id === Field.TCP_FLAGS) {
          batch.tcpFlags[i] = v;
          batch.present[i]! |= Has.TCP_FLAGS;
        } else {
          batch.trafficPath[i] = v;
          batch.present[i]! |= Has.TRAFFIC_PATH;
        }
        return LineError.NONE;
      }
      case Field.PACKETS:
      case Field.BYTES:
      case Field.START:
      case Field.END: {
        const v = parseNumber(b, s, e);
        if (v === -1) return LineError.NONE;
        if (v < 0) return LineError.BAD_NUMBER;
        if (id === Field.PACKETS) {
          batch.packets[i] = v;
          batch.present[i]! |= Has.PACKETS;
        } else if (id === Field.BYTES) batch.bytes[i] = v;
        else if (id === Field.START) {
          batch.start[i] = v;
          batch.present[i]! |= Has.START;
        } else {
          batch.end[i] = v;
          batch.present[i]! |= Has.END;
        }
        return LineError.NONE;
      }
      case Field.ACTION:
        if (equalsAscii(b, s, e, W_ACCEPT)) batch.action[i] = Action.ACCEPT;
        else if (equalsAscii(b, s, e, W_REJECT)) batch.action[i] = Action.REJECT;
        else if (!(e - s === 1 && b[s] === DASH)) return LineError.BAD_VALUE;
        return LineError.NONE;
      case Field.LOG_STATUS:
        if (equalsAscii(b, s, e, W_OK)) batch.logStatus[i] = LogStatus.OK;
        else if (equalsAscii(b, s, e, W_NODATA)) batch.logStatus[i] = LogStatus.NODATA;
        else if (equalsAscii(b, s, e, W_SKIPDATA)) batch.logStatus[i] = LogStatus.SKIPDATA;
        else if (!(e - s === 1 && b[s] === DASH)) return LineError.BAD_VALUE;
        return LineError.NONE;
      case Field.FLOW_DIRECTION:
        if (equalsAscii(b, s, e, W_INGRESS)) batch.flowDirection[i] = FlowDirection.INGRESS;
        else if (equalsAscii(b, s, e, W_EGRESS)) batch.flowDirection[i] = FlowDirection.EGRESS;
        else if (!(e - s === 1 && b[s] === DASH)) return LineError.BAD_VALUE;
        return LineError.NONE;
      case Field.INTERFACE_ID:
        batch.interfaceId[i] = e - s === 1 && b[s] === DASH ? -1 : this.interfaces.intern(b, s, e);
        return LineError.NONE;
      case Field.SUBNET_ID:
        batch.subnetId[i] = e - s === 1 && b[s] === DASH ? -1 : this.subnets.intern(b, s, e);
        return LineError.NONE;
      default:
        return LineError.NONE;
    }
  }

  /** Set a numeric field from a number (Parquet INT32/INT64 columns); null leaves it unset. */
  number(id: number, v: number, batch: FlowLogBatch, i: number): number {
    if (!Number.isInteger(v) || v < 0) return LineError.BAD_NUMBER;
    const digits = numberBytes;
    let n = 0;
    if (v === 0) digits[n++] = 0x30;
    else {
      let x = v;
      while (x > 0 && n < 20) {
        digits[n++] = 0x30 + (x % 10);
        x = Math.floor(x / 10);
      }
      digits.subarray(0, n).reverse();
    }
    return this.field(id, digits, 0, n, batch, i);
  }
}

const numberBytes = new Uint8Array(24);
/** Internal bits of `present` while a line is parsed: srcaddr / dstaddr seen (Has.ADDRS when both). */
const SRC_SEEN = 0x4000;
const DST_SEEN = 0x8000;

/** A message for a failed line (built only for the problems kept in detail). */
export function lineErrorMessage(parser: LineParser, err: number, b: Uint8Array): string {
  const value = (): string => JSON.stringify(Buffer.from(b.buffer, b.byteOffset + parser.errStart, Math.min(parser.errEnd - parser.errStart, 60)).toString('latin1'));
  const col = parser.errColumn;
  switch (err) {
    case LineError.TOO_FEW_FIELDS:
      return `${parser.errTokens} fields, the format has ${parser.fields}`;
    case LineError.TOO_MANY_FIELDS:
      return `more than the format's ${parser.fields} fields`;
    case LineError.BAD_NUMBER:
      return `field ${col + 1} (${parser.columnName(col)}) is not a number: ${value()}`;
    case LineError.OUT_OF_RANGE:
      return `field ${col + 1} (${parser.columnName(col)}) is out of range: ${value()}`;
    case LineError.BAD_ADDRESS:
      return `field ${col + 1} (${parser.columnName(col)}) is not an IPv4 or IPv6 address: ${value()}`;
    case LineError.MIXED_FAMILIES:
      return `field ${col + 1} (${parser.columnName(col)}) is not of the record's address family: ${value()}`;
    case LineError.BAD_VALUE:
      return `field ${col + 1} (${parser.columnName(col)}) has an unknown value: ${value()}`;
    case LineError.MISSING_FIELD:
      return `a record with log-status OK needs ${FIELD_NAMES[col]}, and it is unset or not in the format`;
    default:
      return 'not a record';
  }
}
