// Scrapes dcgm-exporter's /metrics with a timeout.
import { TransientError, errorText } from "../errors.js";
import { DCGM_SOURCE, dcgmActivity, type DcgmActivity } from "./dcgm-metrics.js";

export const DEFAULT_DCGM_TIMEOUT_MS = 3_000;

/** GETs `url` and parses it. Timeout, HTTP error, empty body or garbage: TransientError (source "dcgm_exporter"). */
export async function scrapeDcgm(url: string, timeoutMs: number = DEFAULT_DCGM_TIMEOUT_MS): Promise<DcgmActivity> {
  let body: string;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: "text/plain" } });
    if (!res.ok) throw new TransientError(`dcgm-exporter ${url}: HTTP ${res.status}`, DCGM_SOURCE);
    body = await res.text();
  } catch (e) {
    if (e instanceof TransientError) throw e;
    const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
    throw new TransientError(`dcgm-exporter ${url}: ${timedOut ? `no answer within ${timeoutMs} ms` : errorText(e)}`, DCGM_SOURCE, { cause: e });
  }
  if (body.trim() === "") throw new TransientError(`dcgm-exporter ${url}: empty body`, DCGM_SOURCE);
  return dcgmActivity(body);
}
