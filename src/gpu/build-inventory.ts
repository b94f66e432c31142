// Joins `nvidia-smi -q -x` (GI/CI ids, memory, processes) with `nvidia-smi -L` (MIG profiles and
// UUIDs) into the domain model of src/model/gpu.ts.
import { TransientError } from "../errors.js";
import type { Gpu, GpuProcess, MigDevice } from "../model/gpu.js";
import { NVIDIA_SMI_SOURCE } from "./decode.js";
import { migGpuEquivalent, migSliceCount } from "./mig-weight.js";
import type { ListedGpu, ListedMigDevice } from "./parse-list.js";
import type { XmlGpu, XmlMigDevice, XmlReport } from "./parse-xml.js";

/** The legacy MIG UUID form, the only one that can be named from the XML alone. */
export function legacyMigUuid(parentUuid: string, gpuInstanceId: number, computeInstanceId: number): string {
  return `MIG-${parentUuid}/${gpuInstanceId}/${computeInstanceId}`;
}

function sameIds(a: { gpuInstanceId: number | null; computeInstanceId: number | null }, gi: number | null, ci: number | null): boolean {
  return a.gpuInstanceId !== null && a.computeInstanceId !== null && a.gpuInstanceId === gi && a.computeInstanceId === ci;
}

function findListed(listed: readonly ListedMigDevice[], d: XmlMigDevice): ListedMigDevice | undefined {
  // The legacy UUID carries GI/CI: the exact join. Otherwise "Device N" in -L is `<index>` in the XML.
  return listed.find((l) => sameIds(l, d.gpuInstanceId, d.computeInstanceId)) ?? listed.find((l) => l.gpuInstanceId === null && d.index !== null && l.deviceIndex === d.index);
}

function migDevices(x: XmlGpu, l: ListedGpu | undefined): MigDevice[] {
  const slices = migSliceCount(x.name ?? l?.name);
  const listed = l?.migDevices ?? [];
  const used = new Set<ListedMigDevice>();
  const out: MigDevice[] = [];
  const make = (uuid: string, deviceIndex: number | null, profile: string | null, d: Partial<XmlMigDevice>, ld?: ListedMigDevice): MigDevice => ({
    uuid,
    parentUuid: x.uuid,
    deviceIndex,
    gpuInstanceId: d.gpuInstanceId ?? ld?.gpuInstanceId ?? null,
    computeInstanceId: d.computeInstanceId ?? ld?.computeInstanceId ?? null,
    profile,
    gpuEquivalent: migGpuEquivalent(profile, slices),
    memoryUsedMib: d.memoryUsedMib ?? null,
    memoryTotalMib: d.memoryTotalMib ?? null,
    utilizationPct: null,
  });
  for (const d of x.migDevices) {
    const ld = findListed(listed, d);
    if (ld) {
      used.add(ld);
      out.push(make(ld.uuid, ld.deviceIndex, ld.profile, d, ld));
    } else if (d.gpuInstanceId !== null && d.computeInstanceId !== null) {
      // -L did not name it (old capture, or a repartition between the two calls): the legacy form
      // identifies it exactly; the profile stays unknown.
      out.push(make(legacyMigUuid(x.uuid, d.gpuInstanceId, d.computeInstanceId), d.index, null, d));
    }
  }
  for (const ld of listed) if (!used.has(ld)) out.push(make(ld.uuid, ld.deviceIndex, ld.profile, {}, ld));
  return out.sort((a, b) => (a.deviceIndex ?? Infinity) - (b.deviceIndex ?? Infinity));
}

function processes(x: XmlGpu, devices: readonly MigDevice[]): GpuProcess[] {
  return x.processes.map((p) => ({
    pid: p.pid,
    name: p.name,
    usedMemoryMib: p.usedMemoryMib,
    gpuUuid: x.uuid,
    migUuid: devices.find((d) => sameIds(d, p.gpuInstanceId, p.computeInstanceId))?.uuid ?? null,
    gpuInstanceId: p.gpuInstanceId,
    computeInstanceId: p.computeInstanceId,
    containerId: null,
    notOnHost: false,
  }));
}

/**
 * The GPU list. `listed` is `nvidia-smi -L` (null when not available: MIG devices then get the
 * legacy UUID form and no profile). GPU index = `-L` number, else the order of `<gpu>` elements
 * (never minor_number). When both are given and disagree on the set of GPUs (a GPU appeared or
 * vanished between the calls), TransientError: better no answer than a wrong join.
 */
export function buildGpus(xml: XmlReport, listed: readonly ListedGpu[] | null): Gpu[] {
  if (listed !== null) {
    const xmlUuids = xml.gpus.map((g) => g.uuid).sort();
    // A GPU the XML could not read may still be named by -L: that is the missing one, not a race.
    const read = new Set(xmlUuids);
    const unread = listed.filter((g) => !read.has(g.uuid)).length;
    const listUuids = listed.map((g) => g.uuid).filter((u) => read.has(u) || unread > (xml.missingGpus ?? 0)).sort();
    if (xmlUuids.join(",") !== listUuids.join(",")) {
      throw new TransientError(`nvidia-smi -q -x and -L list different GPUs (${xmlUuids.join(" ")} vs ${listUuids.join(" ")})`, NVIDIA_SMI_SOURCE);
    }
  }
  return xml.gpus.map((x, position) => {
    const l = listed?.find((g) => g.uuid === x.uuid);
    const devices = migDevices(x, l);
    return {
      index: l?.index ?? position,
      uuid: x.uuid,
      name: x.name ?? l?.name ?? null,
      migEnabled: x.migEnabled,
      usable: !(x.migEnabled === true && devices.length === 0),
      utilizationPct: x.utilizationPct,
      memoryUsedMib: x.memoryUsedMib,
      memoryTotalMib: x.memoryTotalMib,
      migDevices: devices,
      processes: processes(x, devices),
    };
  });
}
