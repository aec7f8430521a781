/** The error a promise rejects with (a test fails if it resolves), with ClinicaError's fields readable. */
export async function rejection(p: Promise<unknown>): Promise<Error & { kind?: string; field?: string; exitCode?: number; reason?: string; hint?: string; params?: Record<string, string> }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { kind?: string; field?: string; exitCode?: number; reason?: string; hint?: string; params?: Record<string, string> };
  }
  throw new Error('expected a rejection');
}
