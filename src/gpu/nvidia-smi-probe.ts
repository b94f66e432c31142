// The GpuProbe adapter: runs nvidia-smi with exactly the invocations of docs/gpu-probe.md, each with a
// timeout. Reading never changes GPU state; `reset` is the one call that does.
import { InvalidInputError, TransientError, errorText } from "../errors.js";
import type { GpuInventory } from "../model/gpu.js";
import type { GpuProbe } from "../model/ports.js";
import { execFileWithTimeout, type ExecResult } from "../util/exec.js";
import { buildGpus } from "./build-inventory.js";
import { NVIDIA_SMI_SOURCE, decodeUtf8 } from "./decode.js";
import { NO_DEVICES, parseNvidiaSmiList } from "./parse-list.js";
import { QUERY_GPU_FIELDS, parseQueryGpuCsv, type QueryGpuRow } from "./parse-query-gpu.js";

export const NVIDIA_SMI_ARGS = {
  xml: ["-q", "-x"],
  sample: [`--query-gpu=${QUERY_GPU_FIELDS.join(",")}`, "--format=csv,noheader,nounits"],
  list: ["-L"],
  reset: (uuid: string) => ["-r", "-i", uuid],
} as const;

export const DEFAULT_NVIDIA_SMI_TIMEOUT_MS = 10_000;
export const DEFAULT_RESET_TIMEOUT_MS = 60_000;

export interface NvidiaSmiProbeOptions {
  /** Config `gpu.nvidia_smi`; null/undefined → env DS01_NVIDIA_SMI → `nvidia-smi` on PATH. */
  path?: string | null;
  timeoutMs?: number;
  resetTimeoutMs?: number;
  /** Environment for the path lookup and the child process (tests pass the stand-in's). */
  env?: NodeJS.ProcessEnv;
}

/** The nvidia-smi to run: config value, else env DS01_NVIDIA_SMI, else `nvidia-smi` on PATH. */
export function resolveNvidiaSmiPath(configured: string | null | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (configured && configured.trim() !== "") return configured;
  const fromEnv = env.DS01_NVIDIA_SMI;
  return fromEnv && fromEnv.trim() !== "" ? fromEnv : "nvidia-smi";
}

function isEnoent(e: unknown): boolean {
  return e instanceof TransientError && (e.cause as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}

/** The nvidia-smi executable does not exist (no driver tools on this host). */
export class NvidiaSmiNotFoundError extends TransientError {
  constructor(path: string, cause: unknown) {
    super(`nvidia-smi not found (${path})`, NVIDIA_SMI_SOURCE, { cause });
  }
}

export class NvidiaSmiProbe implements GpuProbe {
  readonly path: string;
  private readonly timeoutMs: number;
  private readonly resetTimeoutMs: number;
  private readonly env: NodeJS.ProcessEnv;

  constructor(opts: NvidiaSmiProbeOptions = {}) {
    this.env = opts.env ?? process.env;
    this.path = resolveNvidiaSmiPath(opts.path, this.env);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_NVIDIA_SMI_TIMEOUT_MS;
    this.resetTimeoutMs = opts.resetTimeoutMs ?? DEFAULT_RESET_TIMEOUT_MS;
  }

  /** Runs one invocation; "no devices" → null (an answer: zero GPUs); other failures throw TransientError. */
  private async run(args: readonly string[], timeoutMs = this.timeoutMs): Promise<Buffer | null> {
    const what = `nvidia-smi ${args.join(" ")}`;
    let r: ExecResult;
    try {
      r = await execFileWithTimeout(this.path, args, { timeoutMs, env: this.env, maxBytes: 32 * 1024 * 1024 });
    } catch (e) {
      if (isEnoent(e)) throw new NvidiaSmiNotFoundError(this.path, e);
      throw new TransientError(`${what}: ${errorText(e)}`, NVIDIA_SMI_SOURCE, { cause: e });
    }
    if (r.code === 0) return r.stdout;
    const said = (safeText(r.stdout) + "\n" + safeText(r.stderr)).trim();
    if (said.split(/\r?\n/).some((l) => NO_DEVICES.test(l.trim()))) return null;
    const why = r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`;
    const firstLines = said
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean)
      .slice(0, 2)
      .join(" ");
    throw new TransientError(`${what} failed (${why})${firstLines ? `: ${firstLines.slice(0, 300)}` : ""}`, NVIDIA_SMI_SOURCE);
  }

  async inventory(): Promise<GpuInventory> {
    try {
      // The XML parser (a library) loads while nvidia-smi runs.
      const [xml, list, { parseNvidiaSmiXml }] = await Promise.all([this.run(NVIDIA_SMI_ARGS.xml), this.run(NVIDIA_SMI_ARGS.list), import("./parse-xml.js")]);
      if (xml === null || list === null) return { gpus: [], error: null, errorKind: null };
      const report = parseNvidiaSmiXml(xml);
      return { gpus: buildGpus(report, parseNvidiaSmiList(list)), error: null, errorKind: null, missingGpus: report.missingGpus ?? 0 };
    } catch (e) {
      return { gpus: [], error: errorText(e), errorKind: e instanceof NvidiaSmiNotFoundError ? "not_found" : "failed" };
    }
  }

  async sample(): Promise<Map<string, number | null>> {
    const rows = await this.sampleRows();
    return new Map(rows.map((r) => [r.uuid, r.utilizationPct]));
  }

  /** The same cheap query, with memory too. Throws TransientError when nvidia-smi can't answer. */
  async sampleRows(): Promise<QueryGpuRow[]> {
    const out = await this.run(NVIDIA_SMI_ARGS.sample);
    return out === null ? [] : parseQueryGpuCsv(out);
  }

  async reset(gpuUuid: string): Promise<void> {
    if (!/^GPU-[0-9A-Za-z-]+$/.test(gpuUuid)) {
      throw new InvalidInputError(`refusing to reset ${JSON.stringify(gpuUuid)}: not a full-GPU UUID (GPU-…)`);
    }
    const out = await this.run(NVIDIA_SMI_ARGS.reset(gpuUuid), this.resetTimeoutMs);
    if (out === null) throw new TransientError(`nvidia-smi -r -i ${gpuUuid}: no such GPU`, NVIDIA_SMI_SOURCE);
  }
}

function safeText(b: Buffer): string {
  try {
    return decodeUtf8(b, "nvidia-smi");
  } catch {
    return "";
  }
}
