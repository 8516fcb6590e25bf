/** Errors cross thread and process boundaries as fields and come back as the same subclass with the same context. */
import { describe, it, expect } from 'vitest';
import { AclInvalidError, AclNotExpressibleError, CaptureFormatError, ExitCode, FlowLogFormatError, InputTooLargeError, InternalError, IoError, NoSuchFileError, UsageError, errorFields, errorFromFields, fromSystemError, type AclReplayError } from '../src/errors.js';
import { decodePartial, encodeFailure } from '../src/pass/codec.js';

describe('errors across a boundary', () => {
  const cases: AclReplayError[] = [
    new UsageError('bad option'),
    new NoSuchFileError('x.pcap', 'permission denied'),
    new CaptureFormatError('x.pcap', 1234, 'not a pcap or pcapng file (magic 0xdeadbeef)'),
    new AclInvalidError('acl.yaml', 'invalid CIDR', { line: 7 }),
    new IoError('x.pcap', 'read error at offset 99: EIO'),
    new InternalError('invariant failed'),
    new FlowLogFormatError('f.log', 'not a flow log', { line: 3 }),
    new AclNotExpressibleError('acl-1', 'rule 5: TCP flags'),
    new InputTooLargeError('acl.yaml', 'larger than the 64 MiB limit (--max-input-bytes)'),
  ];
  for (const e of cases) {
    it(`${e.name} keeps its class, code, exit code, message and context through a worker's failure reply`, () => {
      const back = errorFromFields(errorFields(e));
      expect(back.constructor).toBe(e.constructor);
      expect([back.code, back.exitCode, back.message, back.file, back.offset, back.line, back.path]).toEqual([e.code, e.exitCode, e.message, e.file, e.offset, e.line, e.path]);
      let thrown: unknown;
      try {
        decodePartial(encodeFailure(e));
      } catch (x) {
        thrown = x;
      }
      expect(thrown).toBeInstanceOf(e.constructor);
      expect((thrown as AclReplayError).message).toBe(e.message);
    });
  }
});

const sys = (code: string, message: string, syscall = 'open') => Object.assign(new Error(message), { code, syscall });

describe('fromSystemError', () => {
  it('says what the path is instead of what was expected there', () => {
    const capture = fromSystemError('d', sys('EISDIR', "EISDIR: illegal operation on a directory, read"));
    expect(capture.message).toBe('d: is a directory, not a capture file');
    const acl = fromSystemError('d', sys('EISDIR', 'EISDIR: illegal operation on a directory, read'), 'an ACL file');
    expect(acl.message).toBe('d: is a directory, not an ACL file');
    expect(acl.exitCode).toBe(ExitCode.NO_INPUT);
  });

  it('never doubles the code or repeats the path (ELOOP: ELOOP:)', () => {
    const loop = fromSystemError('loop1', sys('ELOOP', "ELOOP: too many symbolic links encountered, open 'loop1'"));
    expect(loop.message).toBe('loop1: too many levels of symbolic links');
    const other = fromSystemError('f', sys("EIO", "EIO: i/o error, read", "read"));
    expect(other.message).toBe('f: EIO: i/o error');
    expect(other.exitCode).toBe(ExitCode.IO);
  });
});
