// Shared by the core unit tests.
import { McpmError } from '../../../src/core/errors.js';

/** The McpmError a call throws (fails the test if it throws something else or nothing). */
export function caught(fn: () => unknown): McpmError {
  try {
    fn();
  } catch (error) {
    if (error instanceof McpmError) return error;
    throw error;
  }
  throw new Error('expected an McpmError, nothing was thrown');
}
