// Test-only readers for nvidia_gpu_exporter capture files (test/fixtures/nvidia-smi/*.capture.txt):
// section splitting, and the plain `nvidia-smi -q` text (which ds01 never runs: it reads `-q -x`)
// turned into the same XmlReport facts so the shared merge code can be checked against them.
import { readFileSync } from "node:fs";
import type { XmlGpu, XmlReport } from "../../src/gpu/parse-xml.js";
import { parseEnabled, parseId, parseMeasure, parseText } from "../../src/gpu/values.js";

export const FIXTURES = new URL("../fixtures/nvidia-smi/", import.meta.url);

export function fixtureBytes(name: string): Buffer {
  return readFileSync(new URL(name, FIXTURES));
}

export interface CaptureSection {
  state: string;
  name: string;
  command: string | null;
  body: string;
}

const BANNER = "#".repeat(80);

/** Splits on the 80-`#` banner followed by `# <state> :: <name>` (never on any line starting with #). */
export function captureSections(text: string): CaptureSection[] {
  const lines = text.split("\n");
  const sections: CaptureSection[] = [];
  let current: CaptureSection | null = null;
  let body: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const head = /^# (\w+) :: (.+)$/.exec(lines[i + 1] ?? "");
    if (lines[i] === BANNER && head) {
      if (current) sections.push({ ...current, body: body.join("\n") });
      let j = i + 2;
      let command: string | null = null;
      for (; j < lines.length && lines[j] !== BANNER; j++) {
        const cmd = /^# \$ (.*)$/.exec(lines[j]!);
        if (cmd) command = cmd[1]!;
      }
      current = { state: head[1]!, name: head[2]!, command, body: "" };
      body = [];
      i = j; // the closing banner
      continue;
    }
    if (current) body.push(lines[i]!);
  }
  if (current) sections.push({ ...current, body: body.join("\n") });
  return sections;
}

export function captureSection(text: string, state: string, namePrefix: string): CaptureSection {
  const s = captureSections(text).find((x) => x.state === state && x.name.startsWith(namePrefix));
  if (!s) throw new Error(`no section ${state} :: ${namePrefix}`);
  return s;
}

interface TNode {
  key: string;
  value: string | null;
  children: TNode[];
}

function tree(lines: string[]): TNode[] {
  const root: TNode = { key: "", value: null, children: [] };
  const stack: { indent: number; node: TNode }[] = [{ indent: -1, node: root }];
  for (const line of lines) {
    if (line.trim() === "") continue;
    const indent = line.length - line.trimStart().length;
    const kv = /^\s*(.*?)\s+:\s?(.*)$/.exec(line);
    const node: TNode = kv ? { key: kv[1]!, value: kv[2]!.trimEnd(), children: [] } : { key: line.trim(), value: null, children: [] };
    while (stack.at(-1)!.indent >= indent) stack.pop();
    stack.at(-1)!.node.children.push(node);
    stack.push({ indent, node });
  }
  return root.children;
}

const child = (n: TNode | undefined, key: string) => n?.children.find((c) => c.key === key);
const val = (n: TNode | undefined, ...path: string[]): string | null => {
  let cur = n;
  for (const k of path) cur = child(cur, k);
  return cur?.value ?? null;
};

/** The facts ds01 reads, from `nvidia-smi -q` text. */
export function parseQueryText(text: string): XmlReport {
  const nodes = tree(text.split("\n"));
  const gpus: XmlGpu[] = nodes
    .filter((n) => /^GPU [0-9A-Fa-f]{8}:/.test(n.key))
    .map((g) => {
      const procs = child(g, "Processes")?.children ?? [];
      const processes: XmlGpu["processes"] = [];
      for (let i = 0; i < procs.length; i++) {
        if (procs[i]!.key !== "GPU instance ID") continue;
        const pidNode = procs.slice(i).find((p) => p.key === "Process ID")!;
        processes.push({
          gpuInstanceId: parseId(procs[i]!.value),
          computeInstanceId: parseId(val(procs[i + 1])),
          pid: parseId(pidNode.value)!,
          name: parseText(val(pidNode, "Name")),
          usedMemoryMib: parseMeasure(val(pidNode, "Used GPU Memory"), "MiB"),
        });
      }
      return {
        busId: g.key.slice(4),
        uuid: val(g, "GPU UUID")!,
        name: parseText(val(g, "Product Name")),
        minorNumber: parseId(val(g, "Minor Number")),
        migEnabled: parseEnabled(val(g, "MIG Mode", "Current")),
        utilizationPct: parseMeasure(val(g, "Utilization", "GPU"), "%"),
        memoryUsedMib: parseMeasure(val(g, "FB Memory Usage", "Used"), "MiB"),
        memoryTotalMib: parseMeasure(val(g, "FB Memory Usage", "Total"), "MiB"),
        migDevices: g.children
          .filter((c) => c.key === "MIG Device")
          .map((d) => ({
            index: parseId(val(d, "Index")),
            gpuInstanceId: parseId(val(d, "GPU Instance ID")),
            computeInstanceId: parseId(val(d, "Compute Instance ID")),
            memoryUsedMib: parseMeasure(val(d, "Shared FB Memory Usage", "Used"), "MiB"),
            memoryTotalMib: parseMeasure(val(d, "Shared FB Memory Usage", "Total"), "MiB"),
          })),
        processes,
      };
    });
  return { driverVersion: parseText(nodes.find((n) => n.key === "Driver Version")?.value), gpus };
}
