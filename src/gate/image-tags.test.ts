import { describe, expect, it } from "vitest";
import { claimTags, outputNames, pullProblem, tagTarget } from "./image-tags.js";
import type { OwnerRecord } from "./ownership.js";

describe("tagTarget", () => {
  it("resolves short names the way Docker does, so one tag has one key however it is written", () => {
    for (const name of ["ubuntu", "ubuntu:latest", "library/ubuntu", "docker.io/library/ubuntu:latest", "index.docker.io/library/ubuntu"]) {
      expect(tagTarget(name)?.key, name).toBe("docker.io/library/ubuntu:latest");
    }
    expect(tagTarget("alice/app", "v1")?.key).toBe("docker.io/alice/app:v1");
    expect(tagTarget("localhost:5000/app:2")?.key).toBe("localhost:5000/app:2");
    expect(tagTarget("reg.example.org/team/app")?.key).toBe("reg.example.org/team/app:latest");
    expect(tagTarget("ubuntu:22.04", "")?.shown).toBe("ubuntu:22.04");
  });

  it("is null for what is not a tag: nothing, or a digest", () => {
    expect(tagTarget("")).toBeNull();
    expect(tagTarget(undefined)).toBeNull();
    expect(tagTarget("ubuntu@sha256:" + "a".repeat(64))).toBeNull();
  });
});

describe("claimTags", () => {
  function ports(existing: string[] = []) {
    const records = new Map<string, OwnerRecord>();
    return {
      records,
      owners: { get: (_k: "tag", id: string) => records.get(id) ?? null, put: (r: OwnerRecord) => void records.set(r.id, r) },
      exists: async (ref: string) => existing.includes(ref),
    };
  }
  const alice = { name: "alice", uid: 1001 };
  const bob = { name: "bob", uid: 1002 };

  it("two users claiming the same new tag at once: one gets it, the other is refused", async () => {
    const records = new Map<string, OwnerRecord>();
    // The engine lookup takes a while, as a real one does: both claims are between check and record together.
    const slow = {
      owners: { get: (_k: "tag", id: string) => records.get(id) ?? null, put: (r: OwnerRecord) => void records.set(r.id, r) },
      exists: () => new Promise<boolean>((r) => setTimeout(() => r(false), 20)),
    };
    const [a, b] = await Promise.all([claimTags([tagTarget("race:1")!], alice, slow), claimTags([tagTarget("race:1")!], bob, slow)]);
    expect(a).toBeNull();
    expect(b).toMatch(/race:1 is alice's/);
    expect(records.get("docker.io/library/race:1")?.user).toBe("alice");
  });

  it("a new tag becomes the caller's; the owner may point it again, nobody else may", async () => {
    const p = ports();
    expect(await claimTags([tagTarget("app:v1")!], alice, p)).toBeNull();
    expect(p.records.get("docker.io/library/app:v1")).toMatchObject({ kind: "tag", user: "alice", uid: 1001 });
    expect(await claimTags([tagTarget("docker.io/library/app:v1")!], alice, p)).toBeNull();
    expect(await claimTags([tagTarget("app:v1")!], bob, p)).toMatch(/app:v1 is alice's; choose another name/);
    expect(p.records.get("docker.io/library/app:v1")!.user).toBe("alice");
  });

  it("a tag that exists without a record (pulled, made before the gate) is nobody's to re-point; a refusal records nothing", async () => {
    const p = ports(["ubuntu:22.04"]);
    expect(await claimTags([tagTarget("new:1")!, tagTarget("ubuntu:22.04")!], alice, p)).toMatch(/ubuntu:22.04 already exists and is not yours on record/);
    expect(p.records.size).toBe(0);
  });

  it("a pull may refresh a tag nobody made here, not replace one a user made", async () => {
    const p = ports();
    await claimTags([tagTarget("alice/app")!], alice, p);
    expect(pullProblem(tagTarget("ubuntu:22.04")!, bob, p)).toBeNull();
    expect(pullProblem(tagTarget("alice/app:latest")!, alice, p)).toBeNull();
    expect(pullProblem(tagTarget("docker.io/alice/app")!, bob, p)).toMatch(/alice\/app:latest is alice's/);
  });
});

describe("outputNames", () => {
  it("reads the image names of buildx outputs; refuses what it cannot read", () => {
    expect(outputNames(undefined)).toEqual([]);
    expect(outputNames(JSON.stringify([{ Type: "image", Attrs: { name: "a:1,b:2", push: "false" } }, { Type: "local", Attrs: { dest: "/tmp/x" } }]))).toEqual(["a:1", "b:2"]);
    expect(outputNames("{not json")).toBeNull();
    expect(outputNames(JSON.stringify({ Type: "image" }))).toBeNull();
  });
});
