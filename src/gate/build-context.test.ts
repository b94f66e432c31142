import { describe, expect, it } from "vitest";
import { tarArchive } from "../../test/helpers/tar-builder.js";
import { buildArgsOf, buildContextCheck, dockerfilePaths, platformArgs } from "./build-context.js";
import { ArchiveRefused, TarScanner, type HeldEntry } from "./tar-scan.js";

/** The held entries of a build context scanned for these Dockerfile paths (throws ArchiveRefused). */
function held(archive: Buffer, paths: string[]): HeldEntry[] {
  const s = new TarScanner(buildContextCheck(paths, new Map(), () => null).scan);
  const out = s.write(archive).flatMap((step) => ("held" in step ? [step.held] : []));
  s.end();
  return out;
}

describe("dockerfilePaths", () => {
  it("is where dockerd reads the Dockerfile: the parameter inside the context, and the lowercase default", () => {
    expect(dockerfilePaths(undefined)).toEqual(["Dockerfile", "dockerfile"]);
    expect(dockerfilePaths("")).toEqual(["Dockerfile", "dockerfile"]);
    expect(dockerfilePaths("./sub/../docker/gpu.Dockerfile")).toEqual(["docker/gpu.Dockerfile"]);
    expect(dockerfilePaths("/abs/Dockerfile")).toEqual(["abs/Dockerfile"]);
    expect(dockerfilePaths(".")).toEqual([]);
  });
});

describe("buildArgsOf", () => {
  it("reads a JSON object of strings (null: declared without a value); anything else is unreadable", () => {
    expect([...buildArgsOf('{"A":"1","B":null}')!]).toEqual([["A", "1"]]);
    expect(buildArgsOf(undefined)!.size).toBe(0);
    for (const bad of ["[1]", '{"A":1}', "{", '"x"', "null"]) expect(buildArgsOf(bad), bad).toBeNull();
  });
});

describe("platformArgs", () => {
  it("are BuildKit's only: the build's platform as TARGET*, this host as BUILD*", () => {
    expect(platformArgs(false, "linux/arm64").size).toBe(0);
    const a = platformArgs(true, "linux/arm64/v8");
    expect([a.get("TARGETPLATFORM"), a.get("TARGETARCH"), a.get("TARGETVARIANT"), a.get("BUILDOS")]).toEqual(["linux/arm64/v8", "arm64", "v8", "linux"]);
    expect(platformArgs(true, undefined).get("TARGETPLATFORM")).toBe(platformArgs(true, undefined).get("BUILDPLATFORM"));
  });
});

describe("buildContextCheck", () => {
  it("holds the Dockerfile at its path, wherever it comes in the context", () => {
    const ctx = tarArchive([{ name: "src/", type: "5" }, { name: "src/a.py", data: "print(1)" }, { name: "./docker/gpu.Dockerfile", data: "FROM x\n" }]);
    expect(held(ctx, ["docker/gpu.Dockerfile"]).map((h) => [h.name, h.data.toString()])).toEqual([["docker/gpu.Dockerfile", "FROM x\n"]]);
    expect(held(ctx, ["Dockerfile", "dockerfile"])).toEqual([]);
  });

  it("refuses a Dockerfile that is a link, or reached through one", () => {
    const refusal = (archive: Buffer, paths: string[]) => {
      try {
        held(archive, paths);
      } catch (e) {
        if (e instanceof ArchiveRefused) return e.message;
        throw e;
      }
      return "not refused";
    };
    expect(refusal(tarArchive([{ name: "real", data: "FROM x\n" }, { name: "Dockerfile", type: "2", linkname: "real" }]), ["Dockerfile"])).toMatch(/Dockerfile is not a plain file/);
    expect(refusal(tarArchive([{ name: "other/Dockerfile", data: "FROM x\n" }, { name: "sub", type: "2", linkname: "other" }]), ["sub/Dockerfile"])).toMatch(/makes sub a symbolic link, on the way to its sub\/Dockerfile/);
    expect(refusal(tarArchive([{ name: "sub", type: "2", linkname: "other" }, { name: "other/x", data: "" }]), ["Dockerfile"])).toBe("not refused");
  });

  it("takes more symbolic links than an image archive may have (a project's node_modules)", () => {
    const links = Array.from({ length: 12_000 }, (_, i) => ({ name: `node_modules/.bin/tool-${i}`, type: "2", linkname: `../pkg-${i}/cli.js` }));
    const ctx = tarArchive([...links, { name: "Dockerfile", data: "FROM x\n" }]);
    expect(held(ctx, ["Dockerfile"]).map((h) => h.name)).toEqual(["Dockerfile"]);
    const load = new TarScanner();
    expect(() => load.write(ctx)).toThrow(/more than 10000 symbolic links/);
  });

  it("refuses, naming the instruction and its line, a Dockerfile that builds on another user's tag", async () => {
    const check = buildContextCheck(["Dockerfile"], new Map([["V", "2"]]), (image) => (image === "ubuntu:2" ? { shown: "ubuntu:2", user: "alice" } : null));
    await expect(check.check({ name: "Dockerfile", data: Buffer.from("FROM debian\nARG X\nFROM ubuntu:1\n"), bytes: [] })).resolves.toBeUndefined();
    await expect(check.check({ name: "Dockerfile", data: Buffer.from("ARG V=1\nFROM debian\nCOPY --from=ubuntu:$V / /\n"), bytes: [] })).rejects.toThrow(/Dockerfile builds on ubuntu:2 \(COPY --from, line 3\), which was made on this server by alice/);
  });
});
