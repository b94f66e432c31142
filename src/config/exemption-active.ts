// Whether an exemption holds at a time, and its form in a resolved policy. Apart from reading the
// file (exemptions.ts, with its schema library), so that judging by a loaded config loads neither.
import type { ActiveExemption } from "../model/policy.js";
import type { Exemption } from "./exemptions.js";

export function isActiveAt(e: Pick<Exemption, "expiresAt">, at: number): boolean {
  return e.expiresAt === null || at < e.expiresAt;
}

export function toActive(e: Exemption): ActiveExemption {
  return { exempt_from: [...e.exempt_from], reason: e.reason, expires_on: e.expires_on };
}
