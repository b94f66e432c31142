// Appends a notice to a file inside the container (default /workspace/.ds01-alerts), for owners who
// are not logged in on a terminal (VS Code, Jupyter). Needs only `sh`, `mkdir` and `cat` in the
// image (the original needed bash). The text goes in on stdin; the path is passed as a positional
// argument, never spliced into the shell script.
import { posix } from "node:path";
import type { DeliveryResult } from "../model/notice.js";
import type { ContainerRuntime } from "../model/ports.js";
import { errorText } from "../errors.js";

export const DEFAULT_CONTAINER_ALERT_FILE = "/workspace/.ds01-alerts";
const APPEND_SCRIPT = 'mkdir -p -- "$1" && cat >> "$2"';

export interface ContainerFileOptions {
  path?: string;
  timeoutMs?: number; // default 10000
}

/** The exec command line that appends stdin to `path` (exported for the tests and for `explain`). */
export function appendCommand(path: string): string[] {
  return ["sh", "-c", APPEND_SCRIPT, "ds01-notify", posix.dirname(path), path];
}

export async function appendToContainerFile(
  runtime: Pick<ContainerRuntime, "exec">,
  containerId: string,
  text: string,
  opts: ContainerFileOptions = {},
): Promise<DeliveryResult> {
  const path = opts.path ?? DEFAULT_CONTAINER_ALERT_FILE;
  const target = `container ${containerId.slice(0, 12)}:${path}`;
  if (!posix.isAbsolute(path) || path.split("/").includes("..")) {
    return { channel: "container_file", target, ok: false, error: `alert file path must be absolute without "..": ${path}` };
  }
  try {
    const { exitCode } = await runtime.exec(containerId, appendCommand(path), {
      stdin: text.endsWith("\n") ? text : `${text}\n`,
      timeoutMs: opts.timeoutMs ?? 10_000,
    });
    if (exitCode === 0) return { channel: "container_file", target, ok: true, error: null };
    return { channel: "container_file", target, ok: false, error: exitCode === null ? "exit status unknown" : `exit status ${exitCode}` };
  } catch (e) {
    return { channel: "container_file", target, ok: false, error: errorText(e) };
  }
}
