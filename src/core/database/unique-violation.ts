import { QueryFailedError } from 'typeorm';

/** Whether a database error is the violation of this unique constraint (or index). */
export function violates(error: unknown, constraint: string): boolean {
  const driver = error instanceof QueryFailedError ? (error.driverError as { code?: string; constraint?: string }) : undefined;
  return driver?.code === '23505' && driver.constraint === constraint;
}
