import { UsmtStepsError } from '../../src/runtime/errors.js'

/**
 * The code of the UsmtStepsError `fn` throws, or 'no error' when it returns. Any other error is thrown again: a
 * test that expects a coded error must not pass on a TypeError.
 */
export function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    if (e instanceof UsmtStepsError) return e.code
    throw e
  }
  return 'no error'
}

/** The same for a promise. */
export async function codeOfAsync(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    if (e instanceof UsmtStepsError) return e.code
    throw e
  }
  return 'no error'
}
