/** A problem with the machine or the settings that the person starting Sieve must fix: shown without a stack. */
export class StartupError extends Error {
  override name = 'StartupError';
}
