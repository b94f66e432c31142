// Who holds the slots a request could use, and what the planner will do to them next: the end of
// a refusal after waiting in the GPU queue ("GPU 0: bob's train (running; stop for idle at 14:05
// UTC)"), so the caller knows whom to ask and when to try again (pure).
import type { ObservedContainer } from "../model/container.js";
import { candidates } from "./choose.js";
import { computeHoldings, type HoldingsInput } from "./holdings.js";
import type { AllocationRequest } from "./request.js";

export interface NextStep {
  kind: string;
  reason: string;
  at: number;
}

export interface HoldersInput extends HoldingsInput {
  request: AllocationRequest;
  allowFullGpu: boolean;
  /** The planner's next step for a holder container, when known. */
  next?: (c: ObservedContainer) => NextStep | null;
}

const MAX_LISTED = 8;

function clock(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 16)} UTC`;
}

export function holdersText(input: HoldersInput): string {
  const holdings = computeHoldings(input);
  const suitable = candidates({ slots: input.slots, holdings: { taken: new Set(), loadByGpu: holdings.loadByGpu }, request: input.request, allowFullGpu: input.allowFullGpu });
  const byId = new Map(input.containers.map((c) => [c.id, c]));
  const lines: string[] = [];
  let soonest: { at: number; text: string } | null = null;
  for (const slot of suitable) {
    // A MIG device is also taken when its whole GPU is held.
    const holders = [...(holdings.byUuid.get(slot.uuid) ?? []), ...(slot.kind === "mig" ? (holdings.byUuid.get(slot.gpuUuid) ?? []) : [])];
    if (holders.length === 0) continue;
    const who = holders.map((h) => {
      if (h.source === "reservation") return `reserved for ${h.user}'s ${h.container}`;
      const c = h.containerId ? byId.get(h.containerId) : undefined;
      const step = c ? (input.next?.(c) ?? null) : null;
      if (step && (!soonest || step.at < soonest.at)) soonest = { at: step.at, text: `${h.user}'s ${h.container}: ${step.kind} (${step.reason})` };
      return `${h.user}'s ${h.container} (${h.state ?? "?"}${step ? `; ${step.kind} for ${step.reason} at ${clock(step.at)}` : ""})`;
    });
    lines.push(`${slot.kind === "mig" ? "MIG" : "GPU"} ${slot.id}: ${who.join(", ")}`);
  }
  if (lines.length === 0) return "";
  const shown = lines.slice(0, MAX_LISTED).join("; ") + (lines.length > MAX_LISTED ? `; and ${lines.length - MAX_LISTED} more` : "");
  const s = soonest as { at: number; text: string } | null;
  return `held: ${shown}${s ? `. The next planned step is at ${clock(s.at)} (${s.text})` : ""}`;
}
