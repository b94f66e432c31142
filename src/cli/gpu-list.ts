// ds01 gpu list [--json]: GPUs, MIG devices (profile, GI/CI, weight) and GPU processes with the
// container each belongs to. No GPU or no nvidia-smi: an empty list, a one-line note, exit 0.
import { loadConfig, locateConfigDir } from "../config/index.js";
import { EXIT } from "../errors.js";
import { ProcHostProcesses } from "../gpu/host-processes.js";
import { gpuListJson } from "../gpu/inventory-json.js";
import { gpuProbe } from "../compose/gpu-probe.js";
import { observeGpus } from "../gpu/observe-gpus.js";
import type { Gpu } from "../model/gpu.js";
import { parseCommandArgs, printJson, type CliContext } from "./context.js";
import { SPECS } from "./spec.js";
import { missingGpusText } from "../gpu/missing-gpus.js";

const show = (v: number | string | null, unit = ""): string => (v === null ? "n/a" : `${typeof v === "number" ? Math.round(v * 10) / 10 : v}${unit}`);
const mem = (used: number | null, total: number | null): string => (used === null && total === null ? "n/a" : `${show(used)} / ${show(total)} MiB`);
const weight = (w: number | null): string => (w === null ? "n/a" : w.toFixed(3));

function table(gpus: readonly Gpu[]): string {
  const rows: string[][] = [["GPU", "NAME", "UUID", "MIG", "USABLE", "UTIL", "MEMORY", "GPU-EQ"]];
  const owner = (p: Gpu["processes"][number]) => (p.notOnHost ? "not on this host" : p.containerId ? `container ${p.containerId.slice(0, 12)}` : "host");
  const lines: string[] = [];
  for (const g of gpus) {
    rows.push([
      String(g.index),
      g.name ?? "n/a",
      g.uuid,
      g.migEnabled === null ? "n/a" : g.migEnabled ? "on" : "off",
      g.usable ? "yes" : "no",
      show(g.utilizationPct, "%"),
      mem(g.memoryUsedMib, g.memoryTotalMib),
      g.migEnabled ? "" : "1.000",
    ]);
    for (const d of g.migDevices) {
      rows.push([
        `${g.index}.${d.deviceIndex ?? "?"}`,
        `  MIG ${d.profile ?? "(profile unknown)"} GI ${show(d.gpuInstanceId)} CI ${show(d.computeInstanceId)}`,
        d.uuid,
        "",
        "",
        show(d.utilizationPct, "%"),
        mem(d.memoryUsedMib, d.memoryTotalMib),
        weight(d.gpuEquivalent),
      ]);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) lines.push(r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd());
  const procs = gpus.flatMap((g) => g.processes.map((p) => ({ g, p })));
  if (procs.length > 0) {
    lines.push("", "PROCESSES");
    const prow: string[][] = [["GPU", "PID", "NAME", "MEMORY", "GI/CI", "OWNER"]];
    for (const { g, p } of procs) {
      const dev = g.migDevices.find((d) => d.uuid === p.migUuid);
      prow.push([
        dev ? `${g.index}.${dev.deviceIndex ?? "?"}` : String(g.index),
        String(p.pid),
        p.name ?? "n/a",
        show(p.usedMemoryMib, " MiB"),
        p.gpuInstanceId === null ? "n/a" : `${p.gpuInstanceId}/${show(p.computeInstanceId)}`,
        owner(p),
      ]);
    }
    const pw = prow[0]!.map((_, c) => Math.max(...prow.map((r) => r[c]!.length)));
    for (const r of prow) lines.push(r.map((cell, c) => cell.padEnd(pw[c]!)).join("  ").trimEnd());
  }
  return lines.join("\n") + "\n";
}

export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, SPECS["gpu list"].options);
  const config = await loadConfig(locateConfigDir(ctx).dir);
  const { inventory, dcgmError } = await observeGpus({ probe: gpuProbe(config, ctx.env), hostProcesses: new ProcHostProcesses(), dcgmExporterUrl: config.gpu.dcgm_exporter_url });

  const failed = inventory.error !== null && inventory.errorKind !== "not_found";
  // "error" only with a failing exit code; a host without nvidia-smi gets a "note".
  const said = inventory.error === null ? {} : { [failed ? "error" : "note"]: `no GPU information: ${inventory.error}` };
  if (values.json) printJson(ctx, { ...gpuListJson(inventory), ...said });
  else if (inventory.gpus.length > 0) ctx.out(table(inventory.gpus));

  if (inventory.error !== null) {
    ctx.err(`ds01: no GPU information: ${inventory.error}\n`);
    return failed ? EXIT.failure : EXIT.ok;
  }
  if (inventory.missingGpus) ctx.err(`ds01: warning: ${missingGpusText(inventory.missingGpus)}\n`);
  else if (inventory.gpus.length === 0) ctx.err("ds01: no GPUs found on this host\n");
  if (dcgmError !== null) ctx.err(`ds01: MIG activity unknown: ${dcgmError}\n`);
  return EXIT.ok;
}
