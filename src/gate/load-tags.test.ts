import { describe, expect, it } from "vitest";
import { MAX_LOAD_TAGS, tagsInFile } from "./load-tags.js";
import { ArchiveRefused, type TagFile } from "./tar-scan.js";

const keys = (file: TagFile, text: string) => tagsInFile(file, Buffer.from(text)).map((t) => t.target?.key ?? null);

describe("tagsInFile", () => {
  it("reads RepoTags of docker save's manifest.json, in any case as Go's decoder does", () => {
    expect(keys("manifest.json", JSON.stringify([{ Config: "c.json", RepoTags: ["ubuntu:22.04", "alice/app"], Layers: [] }, { Config: "d.json", RepoTags: null }]))).toEqual([
      "docker.io/library/ubuntu:22.04",
      "docker.io/alice/app:latest",
    ]);
    expect(keys("manifest.json", JSON.stringify([{ repotags: ["ubuntu:22.04"] }]))).toEqual(["docker.io/library/ubuntu:22.04"]);
    expect(keys("manifest.json", "null")).toEqual([]);
    expect(keys("manifest.json", JSON.stringify([{ Config: "c.json" }]))).toEqual([]);
  });

  it("a name that is no tag (a digest) comes back without a target", () => {
    expect(keys("manifest.json", JSON.stringify([{ RepoTags: ["ubuntu@sha256:" + "a".repeat(64)] }]))).toEqual([null]);
  });

  it("refuses what it cannot read as dockerd would: not JSON, another shape, one field in two spellings", () => {
    const refused = (file: TagFile, text: string) => expect(() => tagsInFile(file, Buffer.from(text)), text).toThrow(ArchiveRefused);
    refused("manifest.json", "[{");
    refused("manifest.json", "[] trailing");
    refused("manifest.json", "");
    refused("manifest.json", JSON.stringify({ RepoTags: ["x:1"] }));
    refused("manifest.json", JSON.stringify([{ RepoTags: "x:1" }]));
    refused("manifest.json", JSON.stringify([{ RepoTags: [1] }]));
    refused("manifest.json", '[{"RepoTags":[],"repoTags":["ubuntu:22.04"]}]');
    refused("manifest.json", '[{"RepoTag\u017f":["ubuntu:22.04"]}]'); // Go folds ſ to s
    refused("repositories", JSON.stringify({ ubuntu: ["22.04"] }));
    refused("index.json", JSON.stringify({ manifests: {} }));
    expect(() => tagsInFile("manifest.json", Buffer.from("[1"))).toThrow(/manifest.json is not valid JSON/);
  });

  it("reads the legacy repositories file: name → tag → id", () => {
    expect(keys("repositories", JSON.stringify({ ubuntu: { "22.04": "abc", latest: "abc" }, "reg.example.org/team/app": { v2: "def" } }))).toEqual([
      "docker.io/library/ubuntu:22.04",
      "docker.io/library/ubuntu:latest",
      "reg.example.org/team/app:v2",
    ]);
  });

  it("reads an OCI index's image names, but not a bare tag in ref.name", () => {
    const index = {
      schemaVersion: 2,
      manifests: [
        { digest: "sha256:1", annotations: { "io.containerd.image.name": "docker.io/library/ubuntu:22.04", "org.opencontainers.image.ref.name": "22.04" } },
        { digest: "sha256:2", annotations: { "org.opencontainers.image.ref.name": "alice/app:v1" } },
        { digest: "sha256:3" },
      ],
    };
    expect(keys("index.json", JSON.stringify(index))).toEqual(["docker.io/library/ubuntu:22.04", "docker.io/alice/app:v1"]);
    expect(keys("index.json", JSON.stringify({ Manifests: [{ Annotations: { "io.containerd.image.name": "x:1" } }] }))).toEqual(["docker.io/library/x:1"]);
  });

  it("refuses more tags than it will look up", () => {
    const many = Array.from({ length: MAX_LOAD_TAGS + 1 }, (_, i) => `t:${i}`);
    expect(() => tagsInFile("manifest.json", Buffer.from(JSON.stringify([{ RepoTags: many }])))).toThrow(/at most 1000 per load/);
  });
});
