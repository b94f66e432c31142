import { describe, expect, it } from "vitest";
import type { HostProcesses, ProcessIdentity } from "../model/ports.js";
import { PidReusedError, endProcess } from "./kill-process.js";

/** One PID whose holder can change between reads; `signals` records what was sent. */
function host(sequence: (ProcessIdentity | null)[]): HostProcesses & { signals: string[] } {
  const signals: string[] = [];
  let reads = 0;
  let alive = true;
  return {
    signals,
    exists: async () => alive && sequence[Math.min(reads, sequence.length - 1)] !== null,
    containerOf: async () => null,
    identity: async () => sequence[Math.min(reads++, sequence.length - 1)] ?? null,
    signal: async (_pid, sig) => {
      signals.push(sig);
      if (sig === "SIGKILL") alive = false;
    },
  };
}

const opts = { termWaitMs: 0, killWaitMs: 0, pollMs: 1, sleep: async () => undefined };
const orphan: ProcessIdentity = { startTicks: "12345", comm: "python3", argv0: "python3" };
const expected = { startTicks: "12345", comm: "python3" };

describe("endProcess", () => {
  it("signals the process it was meant for", async () => {
    const h = host([orphan, orphan]);
    expect(await endProcess(h, 4242, expected, opts)).toBe("SIGKILL");
    expect(h.signals).toEqual(["SIGTERM", "SIGKILL"]);
  });

  it("never signals a PID that now belongs to another process (other start time)", async () => {
    const h = host([{ ...orphan, startTicks: "99999" }]);
    await expect(endProcess(h, 4242, expected, opts)).rejects.toThrow(PidReusedError);
    expect(h.signals).toEqual([]);
  });

  it("re-checks before SIGKILL: reused between the two signals, SIGKILL is not sent", async () => {
    const h = host([orphan, { startTicks: "12345", comm: "sshd", argv0: "sshd" }]);
    await expect(endProcess(h, 4242, expected, opts)).rejects.toThrow(/PID 4242 was reused: now sshd/);
    expect(h.signals).toEqual(["SIGTERM"]);
  });
});
