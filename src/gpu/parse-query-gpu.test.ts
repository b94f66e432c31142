import { describe, expect, it } from "vitest";
import { TransientError } from "../errors.js";
import { parseQueryGpuCsv } from "./parse-query-gpu.js";

describe("parseQueryGpuCsv", () => {
  it("reads noheader,nounits rows; [N/A] and friends → null", () => {
    const text = [
      "0, GPU-aaaa-0001, 37, 1024, 81559",
      "1, GPU-aaaa-0002, [N/A], 59, 81559",
      "2, GPU-aaaa-0003, [Not Supported], [Insufficient Permissions], [N/A]",
      "",
    ].join("\n");
    expect(parseQueryGpuCsv(text)).toEqual([
      { index: 0, uuid: "GPU-aaaa-0001", utilizationPct: 37, memoryUsedMib: 1024, memoryTotalMib: 81559 },
      { index: 1, uuid: "GPU-aaaa-0002", utilizationPct: null, memoryUsedMib: 59, memoryTotalMib: 81559 },
      { index: 2, uuid: "GPU-aaaa-0003", utilizationPct: null, memoryUsedMib: null, memoryTotalMib: null },
    ]);
  });

  it("reads the header-and-units form by column name", () => {
    const text = "name, memory.total [MiB], uuid, utilization.gpu [%], index, memory.used [MiB]\nH100, 81559 MiB, GPU-x, 100 %, 0, 19818 MiB\n";
    expect(parseQueryGpuCsv(text)).toEqual([{ index: 0, uuid: "GPU-x", utilizationPct: 100, memoryUsedMib: 19818, memoryTotalMib: 81559 }]);
  });

  it("'No devices were found' → no GPUs", () => expect(parseQueryGpuCsv("No devices were found")).toEqual([]));

  it.each([
    ["empty output", ""],
    ["a truncated row", "0, GPU-aaaa-0001, 37, 10"],
    ["a complete-looking row cut mid-number (no final newline)", "0, GPU-aaaa-0001, 37, 1024, 8155"],
    ["an index that is not a number", "x, GPU-aaaa-0001, 37, 1024, 81559"],
    ["a UUID that is not GPU-…", "0, garbage, 37, 1024, 81559"],
    ["garbage", "Failed to initialize NVML: Driver/library version mismatch"],
    ["a header without uuid column", "index, name\n0, x\n"],
  ])("%s → TransientError", (_why, text) => expect(() => parseQueryGpuCsv(text)).toThrow(TransientError));

  it("non-UTF-8 bytes → TransientError", () => {
    expect(() => parseQueryGpuCsv(Buffer.from([0x30, 0x2c, 0x20, 0xc3, 0x28]))).toThrow(/UTF-8/);
  });
});
