// ds01 gpu status [--json]: every slot with its holder, every user with what they hold and may hold.
import { observeForAllocation } from "../allocation/allocator.js";
import { computeHoldings } from "../allocation/holdings.js";
import { formatEq } from "../allocation/numbers.js";
import { openAllocator } from "../compose/allocator.js";
import { slotTable } from "../allocation/slots.js";
import { allocationStatus } from "../allocation/status.js";
import { EXIT } from "../errors.js";
import { parseCommandArgs, printJson, type CliContext } from "./context.js";
import { SPECS } from "./spec.js";
import { readQueueSnapshot } from "../gate/queue-snapshot.js";
import { defaultStateDir } from "../store/index.js";

export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, SPECS["gpu status"].options);
  const opened = await openAllocator(ctx, { readonly: true });
  try {
    const { deps } = opened;
    const inv = await deps.inventory();
    // Without the GPUs the reservations and holdings are still worth showing; the error is said.
    const obs = await observeForAllocation({ ...deps, inventory: async () => inv }, false);
    const reservations = deps.reservations.all();
    const holdings = computeHoldings({ slots: obs.slots, containers: obs.containers, reservations, now: ctx.clock.now(), listedAt: obs.listedAt });
    const status = allocationStatus({ slots: obs.slots, unusableGpus: slotTable(inv.gpus).unusableGpus, holdings, limitsFor: deps.limitsFor });
    const probeError = inv.error === null ? null : `cannot read the GPUs: ${inv.error}`;
    const snap = await readQueueSnapshot(defaultStateDir(ctx));
    const queue = (snap?.waiting ?? []).map((w) => ({ position: w.position, user: w.user, container: w.container, gpus: w.count, waited_s: Math.max(0, Math.round((ctx.clock.now() - w.since) / 1000)) }));
    // No nvidia-smi at all is a host without GPUs (exit 0, as gpu list); a failing one is a failure.
    const code = inv.error !== null && inv.errorKind !== "not_found" ? EXIT.failure : EXIT.ok;
    if (values.json) {
      // "error" only with a failing exit code; a host without nvidia-smi gets a "note".
      printJson(ctx, probeError === null ? { ...status, queue } : { [code === EXIT.ok ? "note" : "error"]: probeError, ...status, queue });
      if (probeError) ctx.err(`ds01: ${probeError}\n`);
      return code;
    }
    if (probeError) ctx.err(`ds01: ${probeError}; showing reservations only\n`);
    ctx.out(
      `${status.slots_free} of ${status.slots_total} slots free; ${formatEq(status.gpu_equivalents_allocated)} of ${formatEq(status.gpu_equivalents_total)} GPU-equivalents allocated\n\n`,
    );
    ctx.out(`${"SLOT".padEnd(6)} ${"KIND".padEnd(5)} ${"PROFILE".padEnd(10)} ${"WEIGHT".padEnd(7)} ${"STATUS".padEnd(9)} HOLDER\n`);
    for (const s of status.slots) {
      const holder = s.holders.map((h) => `${h.user}/${h.container}${h.state ? ` (${h.state})` : " (reserved)"}`).join("; ");
      const note = s.allocatable ? "" : `  [not allocatable: ${s.unavailable_reason}]`;
      ctx.out(
        `${s.id.padEnd(6)} ${s.kind.padEnd(5)} ${(s.profile ?? "-").padEnd(10)} ${(s.weight === null ? "?" : formatEq(s.weight)).padEnd(7)} ${s.status.padEnd(9)} ${holder || "-"}${note}\n`,
      );
    }
    for (const g of status.unusable_gpus) ctx.out(`GPU ${g.index} unusable: ${g.reason}\n`);
    for (const u of status.unknown_uuids) ctx.out(`unknown UUID ${u.uuid} held by ${u.holders.map((h) => `${h.user}/${h.container}`).join(", ")}\n`);
    if (status.users.length > 0) {
      ctx.out(`\n${"USER".padEnd(16)} ${"HELD".padEnd(7)} ${"LIMIT".padEnd(24)} CONTAINERS\n`);
      for (const u of status.users) {
        const limit = u.limit_gpu_equivalents === null ? "unlimited" : `${formatEq(u.limit_gpu_equivalents)} (${u.limit_key})`;
        ctx.out(`${u.user.padEnd(16)} ${formatEq(u.held_gpu_equivalents).padEnd(7)} ${limit.padEnd(24)} ${u.gpu_containers.join(", ") || "-"}\n`);
      }
    }
    if (queue.length > 0) {
      ctx.out(`\nWAITING FOR A GPU (the gate's queue, served in this order)\n${"POS".padEnd(4)} ${"USER".padEnd(16)} ${"GPUS".padEnd(5)} ${"WAITED".padEnd(7)} CONTAINER\n`);
      for (const q of queue) ctx.out(`${String(q.position).padEnd(4)} ${q.user.padEnd(16)} ${String(q.gpus).padEnd(5)} ${`${q.waited_s} s`.padEnd(7)} ${q.container}\n`);
    }
    return code;
  } finally {
    opened.close();
  }
}
