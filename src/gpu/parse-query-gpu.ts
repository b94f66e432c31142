// The cheap sample: `nvidia-smi --query-gpu=index,uuid,utilization.gpu,memory.used,memory.total
// --format=csv,noheader,nounits`. Also reads the `--format=csv` form with a header and units (any
// field list that contains those five), as real captures store it.
import { TransientError } from "../errors.js";
import { NVIDIA_SMI_SOURCE, decodeUtf8 } from "./decode.js";
import { NO_DEVICES } from "./parse-list.js";
import { parseId, parseMeasure } from "./values.js";

export const QUERY_GPU_FIELDS = ["index", "uuid", "utilization.gpu", "memory.used", "memory.total"] as const;

export interface QueryGpuRow {
  index: number;
  uuid: string;
  utilizationPct: number | null;
  memoryUsedMib: number | null;
  memoryTotalMib: number | null;
}

function fail(message: string): never {
  throw new TransientError(`nvidia-smi --query-gpu: ${message}`, NVIDIA_SMI_SOURCE);
}

const UNIT_OF: Record<(typeof QUERY_GPU_FIELDS)[number], string | undefined> = {
  index: undefined,
  uuid: undefined,
  "utilization.gpu": "%",
  "memory.used": "MiB",
  "memory.total": "MiB",
};

/** `memory.used [MiB]` → `memory.used`. */
function headerName(cell: string): string {
  return cell.trim().replace(/\s*\[[^\]]*\]$/, "");
}

/**
 * Parses the query CSV. Output not ending in a newline or a row with the wrong number of cells
 * (truncated), an index that is
 * not a number, a UUID that is not `GPU-…`, non-UTF-8 bytes or an empty answer: TransientError.
 * `[N/A]`, `[Not Supported]` and friends become null.
 */
export function parseQueryGpuCsv(output: Buffer | Uint8Array | string): QueryGpuRow[] {
  const text = decodeUtf8(output, "nvidia-smi --query-gpu");
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length === 0) fail("empty output");
  if (lines.length === 1 && NO_DEVICES.test(lines[0]!.trim())) return [];
  // nvidia-smi ends every row with a newline: without one, the last row may be cut mid-number.
  if (!text.endsWith("\n")) fail("output ends mid-line (truncated)");
  let columns: number[] = QUERY_GPU_FIELDS.map((_, i) => i);
  let width: number = QUERY_GPU_FIELDS.length;
  let rows = lines;
  const first = lines[0]!.split(",").map(headerName);
  if (first.includes("uuid") && first.includes("index")) {
    columns = QUERY_GPU_FIELDS.map((f) => first.indexOf(f));
    const missing = QUERY_GPU_FIELDS.filter((_, i) => columns[i]! < 0);
    if (missing.length > 0) fail(`header lacks ${missing.join(", ")}`);
    width = first.length;
    rows = lines.slice(1);
  }
  return rows.map((line, n) => {
    const cells = line.split(",").map((c) => c.trim());
    if (cells.length !== width) fail(`row ${n + 1} has ${cells.length} fields, expected ${width}`);
    const at = (i: number) => cells[columns[i]!]!;
    const index = parseId(at(0));
    if (index === null) fail(`row ${n + 1}: index ${JSON.stringify(at(0))} is not a number`);
    const uuid = at(1);
    if (!/^GPU-[0-9A-Za-z-]+$/.test(uuid)) fail(`row ${n + 1}: ${JSON.stringify(uuid)} is not a GPU UUID`);
    return {
      index,
      uuid,
      utilizationPct: parseMeasure(at(2), UNIT_OF["utilization.gpu"]),
      memoryUsedMib: parseMeasure(at(3), UNIT_OF["memory.used"]),
      memoryTotalMib: parseMeasure(at(4), UNIT_OF["memory.total"]),
    };
  });
}
