import { describe, expect, it } from "vitest";
import { TransientError } from "../errors.js";
import { parseNvidiaSmiXml } from "./parse-xml.js";

const doc = (gpus: string, attached = 1) =>
  `<?xml version="1.0" ?>\n<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v13.dtd">\n<nvidia_smi_log>\n<driver_version>590.48.01</driver_version>\n<attached_gpus>${attached}</attached_gpus>\n${gpus}\n</nvidia_smi_log>\n`;
const gpu = (inner: string) => `<gpu id="00000000:01:00.0"><product_name>X</product_name><uuid>GPU-1</uuid>${inner}</gpu>`;

describe("parseNvidiaSmiXml", () => {
  it("a GPU missing from the output (fallen off the bus): the GPUs read, and how many are missing", () => {
    const r = parseNvidiaSmiXml(doc(gpu(""), 3));
    expect(r.gpus.map((g) => g.uuid)).toEqual(["GPU-1"]);
    expect(r.missingGpus).toBe(2);
    expect(parseNvidiaSmiXml(doc(gpu(""))).missingGpus).toBe(0);
  });

  it("treats missing elements as unknown", () => {
    expect(parseNvidiaSmiXml(doc(gpu(""))).gpus[0]).toEqual({
      busId: "00000000:01:00.0",
      uuid: "GPU-1",
      name: "X",
      minorNumber: null,
      migEnabled: null,
      utilizationPct: null,
      memoryUsedMib: null,
      memoryTotalMib: null,
      migDevices: [],
      processes: [],
    });
  });

  it.each(["N/A", "[N/A]", "[Not Supported]", "[Insufficient Permissions]", ""])("utilization %j → null", (v) => {
    expect(parseNvidiaSmiXml(doc(gpu(`<utilization><gpu_util>${v}</gpu_util></utilization>`))).gpus[0]!.utilizationPct).toBeNull();
  });

  it("decodes entities in process names and keeps processes with unknown memory", () => {
    const p = `<processes><process_info><gpu_instance_id>N/A</gpu_instance_id><compute_instance_id>N/A</compute_instance_id><pid>42</pid><type>C</type><process_name>python &amp; co</process_name><used_memory>N/A</used_memory></process_info></processes>`;
    expect(parseNvidiaSmiXml(doc(gpu(p))).gpus[0]!.processes).toEqual([
      { pid: 42, name: "python & co", usedMemoryMib: null, gpuInstanceId: null, computeInstanceId: null },
    ]);
  });

  it("zero GPUs is an answer", () => {
    expect(parseNvidiaSmiXml(doc("", 0)).gpus).toEqual([]);
  });

  const full = doc(gpu("<fb_memory_usage><total>100 MiB</total><used>5 MiB</used></fb_memory_usage>"));
  it.each([
    ["empty output", ""],
    ["whitespace only", " \n"],
    ["plain text", "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver."],
    ["truncated XML", full.slice(0, full.length - 40)],
    ["truncated mid-tag", full.slice(0, 150)],
    ["mismatched tags", doc("<gpu><uuid>GPU-1</uuid></gpux>")],
    ["another root", "<?xml version=\"1.0\" ?><something/>"],
    ["a GPU without a UUID", doc("<gpu><product_name>X</product_name></gpu>")],
    ["a GPU with a bad UUID", doc("<gpu><uuid>N/A</uuid></gpu>")],
    ["more <gpu> elements than attached_gpus", doc(gpu(""), 0)],
    ["a process without a pid", doc(gpu("<processes><process_info><pid>N/A</pid></process_info></processes>"))],
  ])("%s → TransientError (nvidia_smi), no numbers", (_why, text) => {
    let caught: unknown;
    try {
      parseNvidiaSmiXml(text);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(TransientError);
    expect((caught as TransientError).source).toBe("nvidia_smi");
  });

  it("non-UTF-8 bytes → TransientError", () => {
    const bytes = Buffer.concat([Buffer.from(full.slice(0, 100)), Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from(full.slice(100))]);
    expect(() => parseNvidiaSmiXml(bytes)).toThrow(/not valid UTF-8/);
  });
});
