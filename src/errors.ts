// The few error kinds ds01 distinguishes. Callers branch on the class, never on message text.

/** Bad input from a person: config, arguments, a file. The CLI exits 2. */
export class InvalidInputError extends Error {
  override readonly name = "InvalidInputError";
  constructor(
    message: string,
    /** One line per problem, already formatted (e.g. `FILE:LINE:COL: key.path: message`). */
    readonly problems: readonly string[] = [message],
  ) {
    super(message);
  }
}

/** An outside system did not answer or answered garbage (Docker, nvidia-smi, HTTP). Retry later. */
export class TransientError extends Error {
  override readonly name = "TransientError";
  constructor(
    message: string,
    readonly source: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A request that is understood but refused (quota, no free GPU, lock held). The CLI exits 1. */
export class RefusedError extends Error {
  override readonly name = "RefusedError";
}

export const EXIT = { ok: 0, failure: 1, invalidInput: 2 } as const;

export function exitCodeFor(err: unknown): number {
  return err instanceof InvalidInputError ? EXIT.invalidInput : EXIT.failure;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
