import { TransientError } from "../errors.js";

/** Rejects with TransientError when `p` hasn't settled within `ms` (the work itself is not cancelled). */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TransientError(`${what} timed out after ${ms} ms`, "notify")), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}
