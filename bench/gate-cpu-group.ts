// The gate under test in a CPU group of its own, as systemd runs ds01-gate.service (CPUWeight=):
// its clients (the bench's own docker CLI as root, the test user's under su) and dockerd compete
// with it as groups, not process by process. Without it the gate shares the bench's scheduling group
// (its session's autogroup) with the root clients the bench starts, and every root figure through
// the gate pays for that (measured: `docker logs` as root 73 % of direct, as the test user 98 %,
// in the same run). DS01_BENCH_ONE_GROUP=1 leaves the gate where it was started.
import { makeCpuGroup, type CpuGroup } from "../test/helpers/cpu-group.js";

export interface GateCpuGroup {
  /** Where the gate runs, for the bench's header. */
  where: string;
  /** Removes the group once the gate has exited. */
  remove(): void;
}

export function gateInOwnCpuGroup(pid: number): GateCpuGroup {
  if (process.env.DS01_BENCH_ONE_GROUP === "1") return { where: "the bench's own CPU group (DS01_BENCH_ONE_GROUP=1)", remove: () => undefined };
  const group = makeCpuGroup(`ds01-bench-gate-${process.pid}-${pid}`);
  if ("unavailable" in group) return { where: `the bench's own CPU group (no group of its own: ${group.unavailable})`, remove: () => undefined };
  const g: CpuGroup = group;
  g.join(pid);
  return {
    where: `a CPU group of its own (${g.path}), as systemd runs its unit`,
    remove: () => {
      try {
        g.remove();
      } catch {
        // still in use (the gate did not exit): left for the operator, named in the header
      }
    },
  };
}
