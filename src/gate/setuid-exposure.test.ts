import { describe, expect, it } from "vitest";
import { enginesRemapsRoot, exposedBindRoots, fixedPrefix, mountOf, parseMountInfo } from "./setuid-exposure.js";

const MOUNTINFO = [
  "27 1 0:25 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w",
  "31 27 8:1 / /home rw,nosuid,nodev,relatime - ext4 /dev/sda1 rw",
  "32 27 8:2 / /data rw,relatime - ext4 /dev/sda2 rw",
  "33 32 8:3 / /data/safe rw,nosuid,nodev - ext4 /dev/sda3 rw",
  "34 27 8:4 / /with\\040space rw,nosuid - ext4 /dev/sda4 rw",
].join("\n");

describe("setuid exposure of allowed bind roots", () => {
  const mounts = parseMountInfo(MOUNTINFO);

  it("reads mount points and per-mount options, kernel escapes decoded", () => {
    expect(mounts.map((m) => m.mountPoint)).toEqual(["/", "/home", "/data", "/data/safe", "/with space"]);
    expect(mounts[1]!.options).toContain("nosuid");
  });

  it("finds the innermost mount of a path, not a sibling with a common prefix", () => {
    expect(mountOf(mounts, "/home/alice")!.mountPoint).toBe("/home");
    expect(mountOf(mounts, "/homework")!.mountPoint).toBe("/");
    expect(mountOf(mounts, "/data/safe/x")!.mountPoint).toBe("/data/safe");
  });

  it("takes the part of a root every user shares", () => {
    expect(fixedPrefix("/home/{user}")).toBe("/home");
    expect(fixedPrefix("/data/{group}/{user}")).toBe("/data");
    expect(fixedPrefix("/data/g-{user}")).toBe("/data");
    expect(fixedPrefix("/scratch")).toBe("/scratch");
    expect(fixedPrefix("/scratch/")).toBe("/scratch");
  });

  it("names each root whose mount lacks nosuid or nodev", () => {
    expect(exposedBindRoots(["/home/{user}", "/data/{user}", "/data/safe/{user}", "/with space/{user}"], mounts, false)).toEqual([
      { root: "/data/{user}", mountPoint: "/data", missing: ["nosuid", "nodev"] },
      { root: "/with space/{user}", mountPoint: "/with space", missing: ["nodev"] },
    ]);
  });

  it("reports nothing when dockerd remaps container root", () => {
    expect(enginesRemapsRoot({ SecurityOptions: ["name=seccomp,profile=default", "name=userns"] })).toBe(true);
    expect(enginesRemapsRoot({ SecurityOptions: ["name=seccomp,profile=default"] })).toBe(false);
    expect(enginesRemapsRoot(null)).toBe(false);
    expect(exposedBindRoots(["/data/{user}"], mounts, true)).toEqual([]);
  });
});
