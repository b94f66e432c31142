import { describe, expect, it } from "vitest";
import { containerIdFromCgroup } from "./cgroup-container.js";

const A = "a".repeat(40) + "0123456789abcdef01234567";
const B = "b".repeat(64);

describe("containerIdFromCgroup", () => {
  it.each([
    ["cgroup v1, cgroupfs driver", `12:memory:/docker/${A}\n11:cpu,cpuacct:/docker/${A}\n1:name=systemd:/docker/${A}\n`, A],
    ["cgroup v1, systemd driver", `4:memory:/system.slice/docker-${A}.scope\n0::/\n`, A],
    ["cgroup v2, systemd driver", `0::/system.slice/docker-${A}.scope\n`, A],
    ["cgroup v2, systemd driver, process in a sub-cgroup", `0::/system.slice/docker-${A}.scope/init.scope\n`, A],
    ["cgroup v2, cgroupfs driver", `0::/docker/${A}\n`, A],
    ["nested under kubepods (dockershim, cgroupfs)", `0::/kubepods/besteffort/pod1234-5678/${A}\n`, A],
    ["nested under kubepods (systemd)", `0::/kubepods.slice/kubepods-burstable.slice/docker-${A}.scope\n`, A],
    ["docker in docker: the outer container", `0::/docker/${A}/docker/${B}\n`, A],
    ["v1 with some hierarchies at the root", `9:name=systemd:/\n4:memory:/docker/${A}\n`, A],
    ["host process (v1)", "12:memory:/user.slice\n1:name=systemd:/user.slice/user-0.slice/session-1.scope\n", null],
    ["host process (v2)", "0::/init.scope\n", null],
    ["containerd, not Docker", `0::/system.slice/containerd.service/cri-containerd-${A}.scope\n`, null],
    ["a short id is not a container id", "0::/docker/abc123\n", null],
    ["empty file", "", null],
  ])("%s", (_why, text, id) => expect(containerIdFromCgroup(text)).toBe(id));
});
