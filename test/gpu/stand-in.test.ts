// The stand-in answers in the real formats: its XML uses only element paths that real nvidia-smi
// prints, its -L lines are byte-identical to a real capture, and ds01's parsers read its answers
// into the same model as the corresponding real fixture.
import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { buildGpus } from "../../src/gpu/build-inventory.js";
import { parseNvidiaSmiList } from "../../src/gpu/parse-list.js";
import { parseQueryGpuCsv } from "../../src/gpu/parse-query-gpu.js";
import { parseNvidiaSmiXml } from "../../src/gpu/parse-xml.js";
import { NVIDIA_SMI_ARGS } from "../../src/gpu/nvidia-smi-probe.js";
import { execFileWithTimeout } from "../../src/util/exec.js";
import { STAND_IN_NVIDIA_SMI, h100MigMixed, writeFakeGpuState, type FakeGpu, type FakeGpuState } from "../helpers/fake-gpus.js";
import { captureSection, fixtureBytes, parseQueryText } from "./capture-file.js";

async function ask(state: FakeGpuState, args: readonly string[]) {
  const fake = await writeFakeGpuState(state);
  return execFileWithTimeout(STAND_IN_NVIDIA_SMI, args, { timeoutMs: 20_000, env: { ...process.env, ...fake.env } });
}
async function answers(state: FakeGpuState) {
  const [xml, list, query] = await Promise.all([ask(state, NVIDIA_SMI_ARGS.xml), ask(state, NVIDIA_SMI_ARGS.list), ask(state, NVIDIA_SMI_ARGS.sample)]);
  for (const r of [xml, list, query]) expect(r.code).toBe(0);
  return { xml: xml.stdout, list: list.stdout, query: query.stdout };
}

/** Every element path in an XML document ("nvidia_smi_log/gpu/mig_devices/mig_device/index"). */
function elementPaths(text: string): Set<string> {
  const doc = new XMLParser({ ignoreAttributes: true, ignoreDeclaration: true }).parse(text) as Record<string, unknown>;
  const out = new Set<string>();
  const walk = (v: unknown, path: string) => {
    if (Array.isArray(v)) return v.forEach((x) => walk(x, path));
    if (typeof v !== "object" || v === null) return;
    for (const [k, child] of Object.entries(v)) {
      if (k === "#text") continue;
      out.add(path ? `${path}/${k}` : k);
      walk(child, path ? `${path}/${k}` : k);
    }
  };
  walk(doc, "");
  return out;
}

const REAL_XML = ["a5000-dual-driver590.xml", "rtx3090-v13.xml", "a100-40gb-mig-driver510.xml"];
const realPaths = new Set(REAL_XML.flatMap((f) => [...elementPaths(fixtureBytes(f).toString("utf8"))]));

/** The elements ds01's XML parser reads. */
const READ_PATHS = [
  "nvidia_smi_log/driver_version",
  "nvidia_smi_log/attached_gpus",
  "nvidia_smi_log/gpu/product_name",
  "nvidia_smi_log/gpu/uuid",
  "nvidia_smi_log/gpu/minor_number",
  "nvidia_smi_log/gpu/mig_mode/current_mig",
  "nvidia_smi_log/gpu/utilization/gpu_util",
  "nvidia_smi_log/gpu/fb_memory_usage/used",
  "nvidia_smi_log/gpu/fb_memory_usage/total",
  "nvidia_smi_log/gpu/mig_devices/mig_device/index",
  "nvidia_smi_log/gpu/mig_devices/mig_device/gpu_instance_id",
  "nvidia_smi_log/gpu/mig_devices/mig_device/compute_instance_id",
  "nvidia_smi_log/gpu/mig_devices/mig_device/fb_memory_usage/used",
  "nvidia_smi_log/gpu/mig_devices/mig_device/fb_memory_usage/total",
  "nvidia_smi_log/gpu/processes/process_info/pid",
  "nvidia_smi_log/gpu/processes/process_info/process_name",
  "nvidia_smi_log/gpu/processes/process_info/used_memory",
  "nvidia_smi_log/gpu/processes/process_info/gpu_instance_id",
  "nvidia_smi_log/gpu/processes/process_info/compute_instance_id",
];

const A5000: FakeGpu[] = [
  {
    uuid: "GPU-12345678-aaaa-bbbb-cccc-0123456789ab",
    name: "NVIDIA RTX A5000",
    bus_id: "00000000:81:00.0",
    minor_number: 1,
    util: 0,
    memory_used_mib: 22437,
    memory_total_mib: 24564,
    mig_mode: "N/A",
    processes: [{ pid: 100477, name: "/root/src/llama.cpp/build/bin/llama-server", used_memory_mib: 22430, gi: null, ci: null }],
  },
  {
    uuid: "GPU-12345678-aaaa-bbbb-cccc-0123456789cd",
    name: "NVIDIA RTX A5000",
    bus_id: "00000000:C1:00.0",
    minor_number: 0,
    util: 0,
    memory_used_mib: 17253,
    memory_total_mib: 24564,
    mig_mode: "N/A",
    processes: [{ pid: 100477, name: "/root/src/llama.cpp/build/bin/llama-server", used_memory_mib: 17246 }],
  },
];

const H100 = "GPU-00000000-0000-0000-0000-000000000000";
const capture = (f: string) => fixtureBytes(f).toString("utf8");

function h100MigLoad(): FakeGpu {
  const g = h100MigMixed();
  const used = [11091, 17, 9, 9];
  return {
    ...g,
    uuid: H100,
    memory_used_mib: 11125,
    mig_devices: g.mig_devices!.map((d, i) => ({ ...d, uuid: `MIG-0000000${i}-0000-0000-0000-00000000000${i}`, memory_used_mib: used[i]! })),
    processes: [
      { pid: 21180, name: "/root/tools/memhog", used_memory_mib: 2296, gi: 2, ci: 0 },
      { pid: 21181, name: "/root/tools/memhog", used_memory_mib: 1272, gi: 2, ci: 0 },
      { pid: 21198, name: "./gpu_burn", used_memory_mib: 7484, gi: 2, ci: 0 },
    ],
  };
}

describe("nvidia-smi stand-in: structure", () => {
  it("the elements ds01 reads exist in the real fixtures and in the stand-in's XML", async () => {
    const { xml } = await answers({ gpus: [h100MigLoad(), ...A5000] });
    const standIn = elementPaths(xml.toString("utf8"));
    for (const p of READ_PATHS) {
      expect(realPaths, `real fixtures lack ${p}`).toContain(p);
      expect(standIn, `stand-in lacks ${p}`).toContain(p);
    }
  });

  it("prints no element path that real nvidia-smi doesn't", async () => {
    const { xml } = await answers({ gpus: [h100MigLoad(), ...A5000] });
    const invented = [...elementPaths(xml.toString("utf8"))].filter((p) => !realPaths.has(p));
    expect(invented).toEqual([]);
  });

  it("starts like the 590 fixtures (declaration, DTD v13, tab indentation)", async () => {
    const { xml } = await answers({ gpus: A5000 });
    const real = capture("a5000-dual-driver590.xml").split("\n").slice(0, 3);
    expect(xml.toString("utf8").split("\n").slice(0, 3)).toEqual(real);
    expect(xml.toString("utf8")).toContain('\n\t<gpu id="00000000:81:00.0">\n\t\t<product_name>NVIDIA RTX A5000</product_name>');
  });

  it("-L is byte-identical to the H100 MIG capture's -L section", async () => {
    const { list } = await answers({ gpus: [h100MigLoad()] });
    expect(list.toString("utf8").trimEnd()).toBe(captureSection(capture("h100-mig-driver590.capture.txt"), "capabilities", "list (-L)").body.trimEnd());
  });
});

describe("nvidia-smi stand-in: same model as the real fixtures", () => {
  it("a5000-dual-driver590.xml", async () => {
    const { xml, list } = await answers({ gpus: A5000 });
    const real = buildGpus(parseNvidiaSmiXml(fixtureBytes("a5000-dual-driver590.xml")), null);
    expect(buildGpus(parseNvidiaSmiXml(xml), parseNvidiaSmiList(list))).toEqual(real);
  });

  it("rtx3090-v13.xml", async () => {
    const gpus: FakeGpu[] = [{ uuid: "GPU-12345678-aaaa-bbbb-cccc-0123456789ab", name: "NVIDIA GeForce RTX 3090", util: 0, memory_used_mib: 7, memory_total_mib: 24576, mig_mode: "N/A" }];
    const { xml, list } = await answers({ gpus });
    expect(buildGpus(parseNvidiaSmiXml(xml), parseNvidiaSmiList(list))).toEqual(buildGpus(parseNvidiaSmiXml(fixtureBytes("rtx3090-v13.xml")), null));
  });

  it("h100-mig-driver590.capture.txt, load: MIG devices, GI/CI, processes, [N/A] utilisation", async () => {
    const text = capture("h100-mig-driver590.capture.txt");
    const realList = parseNvidiaSmiList(captureSection(text, "capabilities", "list (-L)").body);
    const real = buildGpus(parseQueryText(captureSection(text, "load", "query (-q)").body), realList);
    const { xml, list, query } = await answers({ gpus: [h100MigLoad()] });
    expect(buildGpus(parseNvidiaSmiXml(xml), parseNvidiaSmiList(list))).toEqual(real);
    expect(parseQueryGpuCsv(query)).toEqual(parseQueryGpuCsv(captureSection(text, "load", "query-gpu (csv").body));
  });

  it.each([
    ["idle", 0, 0, []],
    ["load", 100, 19818, [
      { pid: 11327, name: "/root/tools/memhog", used_memory_mib: 2566 },
      { pid: 11328, name: "/root/tools/memhog", used_memory_mib: 1542 },
      { pid: 11345, name: "./gpu_burn", used_memory_mib: 15690 },
    ]],
  ] as const)("h100-driver590.capture.txt, %s", async (state, util, used, processes) => {
    const text = capture("h100-driver590.capture.txt");
    const real = buildGpus(parseQueryText(captureSection(text, state, "query (-q)").body), parseNvidiaSmiList(captureSection(text, "capabilities", "list (-L)").body));
    const gpu: FakeGpu = { uuid: H100, name: "NVIDIA H100 80GB HBM3", util, memory_used_mib: used, memory_total_mib: 81559, mig_mode: "Disabled", processes: [...processes] };
    const { xml, list, query } = await answers({ gpus: [gpu] });
    expect(buildGpus(parseNvidiaSmiXml(xml), parseNvidiaSmiList(list))).toEqual(real);
    expect(parseQueryGpuCsv(query)).toEqual(parseQueryGpuCsv(captureSection(text, state, "query-gpu (csv").body));
  });
});

describe("nvidia-smi stand-in: contract", () => {
  it("refuses invocations ds01 doesn't make (exit 2)", async () => {
    for (const args of [["-x", "-q"], ["--query-gpu=index,uuid", "--format=csv"], ["-r"], []]) {
      const r = await ask({ gpus: A5000 }, args);
      expect(r.code).toBe(2);
    }
  });

  it("with no GPUs, says 'No devices were found' and exits 6", async () => {
    const r = await ask({ gpus: [] }, NVIDIA_SMI_ARGS.list);
    expect([r.code, r.stdout.toString().trim()]).toEqual([6, "No devices were found"]);
  });
});
