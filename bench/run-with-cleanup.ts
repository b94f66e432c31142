// Runs a benchmark's main() and removes the containers of its run afterwards: on success, on
// failure, and on SIGINT/SIGTERM (once, whichever comes first).
import { removeTestContainers } from "../test/helpers/containers.js";

export function runWithCleanup(runId: string, main: () => Promise<void>, done = "bench containers removed"): void {
  let cleaning: Promise<void> | null = null;
  const cleanup = () => (cleaning ??= removeTestContainers(runId).catch((e: unknown) => console.error("cleanup failed:", e)));
  process.on("SIGINT", () => void cleanup().then(() => process.exit(130)));
  process.on("SIGTERM", () => void cleanup().then(() => process.exit(143)));
  void main()
    .then(cleanup, async (e: unknown) => {
      console.error(e);
      await cleanup();
      process.exitCode = 1;
    })
    .then(() => console.log(done));
}
