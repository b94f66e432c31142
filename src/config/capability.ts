// Capability names as Docker reads them; kept apart from the loader so the gate checks creates
// without loading the YAML and schema libraries.

/** `net_admin`, `CAP_NET_ADMIN` and `NET_ADMIN` name one capability; Docker accepts all three. */
export function normaliseCapability(c: string): string {
  const up = c.trim().toUpperCase();
  return up.startsWith("CAP_") ? up.slice(4) : up;
}
