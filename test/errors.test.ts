import { describe, expect, it } from 'vitest';
import { ExitCode, fromSystemError } from '../src/errors.js';

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
