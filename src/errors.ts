/** Errors thrown at API boundaries: one base class with a stable `code` and exit status, one subclass per failure. */

/** Process exit codes, documented in the README. */
export const ExitCode = {
  OK: 0,
  USAGE: 2,
  FAIL_ON: 3,
  DATA: 65,
  NO_INPUT: 66,
  INTERNAL: 70,
  IO: 74,
} as const;

export interface ErrorContext {
  file?: string | undefined;
  offset?: number | undefined;
  line?: number | undefined;
  path?: string | undefined;
}

/** Base of every error the project throws on purpose; `message` is one line a user can act on. */
export class AclReplayError extends Error {
  readonly code: string;
  readonly exitCode: number;
  readonly file: string | undefined;
  readonly offset: number | undefined;
  readonly line: number | undefined;
  readonly path: string | undefined;
  readonly detail: string;

  constructor(code: string, exitCode: number, detail: string, ctx: ErrorContext = {}) {
    super(formatMessage(detail, ctx));
    this.name = 'AclReplayError';
    this.code = code;
    this.exitCode = exitCode;
    this.detail = detail;
    this.file = ctx.file;
    this.offset = ctx.offset;
    this.line = ctx.line;
    this.path = ctx.path;
  }
}

function formatMessage(detail: string, ctx: ErrorContext): string {
  let where = ctx.file ?? '';
  if (ctx.line !== undefined) where += `${where ? ':' : 'line '}${ctx.line}`;
  if (ctx.offset !== undefined) where += `${where ? ': ' : ''}offset ${ctx.offset}`;
  if (ctx.path !== undefined) where += `${where ? ': ' : ''}${ctx.path}`;
  return where ? `${where}: ${detail}` : detail;
}

/** Bad command line: unknown option, missing argument, conflicting flags. */
export class UsageError extends AclReplayError {
  constructor(detail: string) {
    super('E_USAGE', ExitCode.USAGE, detail);
    this.name = 'UsageError';
  }
}

/** The input file does not exist or is not readable. */
export class NoSuchFileError extends AclReplayError {
  constructor(file: string, reason = 'no such file') {
    super('E_NO_FILE', ExitCode.NO_INPUT, reason, { file });
    this.name = 'NoSuchFileError';
  }
}

/** Bytes that are not a capture we can read: wrong magic, unsupported version, broken file header. */
export class CaptureFormatError extends AclReplayError {
  constructor(file: string, offset: number, detail: string) {
    super('E_CAPTURE_FORMAT', ExitCode.DATA, detail, { file, offset });
    this.name = 'CaptureFormatError';
  }
}

/** A VPC flow-log file we cannot read at all: a header without the fields a record needs, a Parquet file without them. */
export class FlowLogFormatError extends AclReplayError {
  constructor(file: string, detail: string, where: { line?: number; offset?: number } = {}) {
    super('E_FLOWLOG_FORMAT', ExitCode.DATA, detail, { file, line: where.line, offset: where.offset });
    this.name = 'FlowLogFormatError';
  }
}

/** An ACL file that fails validation; names the file, the line or path, and the bad value. */
export class AclInvalidError extends AclReplayError {
  constructor(file: string, detail: string, where: { line?: number; path?: string } = {}) {
    super('E_ACL_INVALID', ExitCode.DATA, detail, { file, line: where.line, path: where.path });
    this.name = 'AclInvalidError';
  }
}

/** Reading or writing failed below us (disk, pipe, permissions). */
export class IoError extends AclReplayError {
  constructor(file: string, detail: string) {
    super('E_IO', ExitCode.IO, detail, { file });
    this.name = 'IoError';
  }
}

/** A bug of ours: an invariant failed. Reported with exit 70, never for bad input. */
export class InternalError extends AclReplayError {
  constructor(detail: string) {
    super('E_INTERNAL', ExitCode.INTERNAL, detail);
    this.name = 'InternalError';
  }
}

/** An input larger than we read: a size limit, checked while reading (ACL, topology, subnets and trace files). */
export class InputTooLargeError extends AclReplayError {
  constructor(file: string, detail: string) {
    super('E_INPUT_TOO_LARGE', ExitCode.DATA, detail, { file });
    this.name = 'InputTooLargeError';
  }
}

/**
 * Map a Node system error on `file` to ours; `what` names the kind of input expected there (e.g. 'a capture file',
 * 'an ACL file'), for the messages that say what the path is instead.
 */
export function fromSystemError(file: string, err: unknown, what = 'a capture file'): AclReplayError {
  if (err instanceof AclReplayError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && (e.code === 'ENOENT' || e.code === 'ENOTDIR')) return new NoSuchFileError(file);
  if (e && (e.code === 'EACCES' || e.code === 'EPERM')) return new NoSuchFileError(file, 'permission denied');
  if (e && e.code === 'EISDIR') return new NoSuchFileError(file, `is a directory, not ${what}`);
  if (e && e.code === 'ELOOP') return new NoSuchFileError(file, 'too many levels of symbolic links');
  if (e && e.code === 'ENAMETOOLONG') return new NoSuchFileError(file, 'file name too long');
  if (e && typeof e.code === 'string') return new IoError(file, `${e.code}: ${systemReason(e)}`);
  return new IoError(file, String((e as Error)?.message ?? e).split('\n')[0] ?? 'I/O error');
}

/** The reason of a Node system error without the code and path Node puts around it ("ELOOP: <reason>, open 'x'"). */
function systemReason(e: NodeJS.ErrnoException): string {
  let m = (e.message ?? '').split('\n')[0]!;
  if (e.code && m.startsWith(`${e.code}: `)) m = m.slice(e.code.length + 2);
  if (e.syscall) {
    const at = m.lastIndexOf(`, ${e.syscall}`);
    if (at > 0) m = m.slice(0, at);
  }
  return m || 'I/O error';
}

/** An ACL that one output format cannot hold (a rule AWS network ACLs cannot express, out-of-order rule numbers). */
export class AclNotExpressibleError extends AclReplayError {
  constructor(acl: string, detail: string) {
    super('E_ACL_NOT_EXPRESSIBLE', ExitCode.DATA, detail, { path: acl });
    this.name = 'AclNotExpressibleError';
  }
}

/** An error as fields that survive a thread or process boundary (structured clone, msgpackr). */
export interface ErrorFields {
  name: string;
  code: string;
  exitCode: number;
  detail: string;
  file?: string;
  offset?: number;
  line?: number;
  path?: string;
}

export function errorFields(e: AclReplayError): ErrorFields {
  const f: ErrorFields = { name: e.name, code: e.code, exitCode: e.exitCode, detail: e.detail };
  if (e.file !== undefined) f.file = e.file;
  if (e.offset !== undefined) f.offset = e.offset;
  if (e.line !== undefined) f.line = e.line;
  if (e.path !== undefined) f.path = e.path;
  return f;
}

/** The same error again, of the same subclass with the same context, from its fields. */
export function errorFromFields(f: ErrorFields): AclReplayError {
  let e: AclReplayError;
  switch (f.name) {
    case 'UsageError':
      e = new UsageError(f.detail);
      break;
    case 'NoSuchFileError':
      e = new NoSuchFileError(f.file ?? '', f.detail);
      break;
    case 'CaptureFormatError':
      e = new CaptureFormatError(f.file ?? '', f.offset ?? 0, f.detail);
      break;
    case 'AclInvalidError':
      e = new AclInvalidError(f.file ?? '', f.detail, { line: f.line, path: f.path });
      break;
    case 'IoError':
      e = new IoError(f.file ?? '', f.detail);
      break;
    case 'InternalError':
      e = new InternalError(f.detail);
      break;
    case 'FlowLogFormatError':
      e = new FlowLogFormatError(f.file ?? '', f.detail, { line: f.line, offset: f.offset });
      break;
    case 'AclNotExpressibleError':
      e = new AclNotExpressibleError(f.path ?? '', f.detail);
      break;
    case 'InputTooLargeError':
      e = new InputTooLargeError(f.file ?? '', f.detail);
      break;
    default:
      e = new AclReplayError(f.code, f.exitCode, f.detail, { file: f.file, offset: f.offset, line: f.line, path: f.path });
  }
  return e;
}
