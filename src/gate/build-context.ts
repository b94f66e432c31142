// A non-admin's build context, read as it passes (checked-archive.ts): its Dockerfile is held back
// until the images it builds on are checked (dockerfile-images.ts). One that starts from a tag
// another user made on this server — `ubuntu:24.04` tagged onto their own image before anyone
// pulled it — is refused before the context's end reaches dockerd, which builds only once it has
// the whole context, so nothing is built. The create check refuses running such a tag; without
// this, a build would carry it into an image of the caller's own name, which the caller then runs.
//
// BuildKit reads the Dockerfile the same way from a context sent as the body; one sent through a
// BuildKit session (`/session`, an old CLI with DOCKER_BUILDKIT=1) never passes here as an archive.
import { ArchiveRefused, archivePath, type ScanOptions } from "./tar-scan.js";
import type { ArchiveCheck } from "./checked-archive.js";
import { DockerfileTooOdd, imagesNamed, type NamedImage } from "./dockerfile-images.js";

/** Who made this tag here, when it is someone other than the caller (else null). */
export type OthersTag = (image: string) => { shown: string; user: string } | null;

/** Where dockerd reads the Dockerfile: the `dockerfile` parameter, and `dockerfile` when the default is missing. */
export function dockerfilePaths(param: string | undefined): string[] {
  const path = archivePath(param === undefined || param === "" ? "Dockerfile" : param);
  if (path === "") return [];
  return path === "Dockerfile" ? ["Dockerfile", "dockerfile"] : [path];
}

/** The build's `buildargs` parameter (a JSON object of strings or nulls), or null when it cannot be read. */
export function buildArgsOf(param: string | undefined): Map<string, string> | null {
  if (param === undefined || param === "") return new Map();
  let v: unknown;
  try {
    v = JSON.parse(param);
  } catch {
    return null;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return null;
  const out = new Map<string, string>();
  for (const [k, value] of Object.entries(v as Record<string, unknown>)) {
    if (typeof value === "string") out.set(k, value);
    else if (value !== null) return null;
  }
  return out;
}

const GO_ARCH: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ppc64: "ppc64le", s390x: "s390x", ia32: "386" };

/**
 * The ARGs BuildKit fills in without a declaration (TARGETPLATFORM, BUILDARCH, …), for a build of
 * `platform` (the build's parameter, `os/arch[/variant]`) on this host; none for the classic builder.
 */
export function platformArgs(buildKit: boolean, platform: string | undefined): Map<string, string> {
  if (!buildKit) return new Map();
  const hostArch = GO_ARCH[process.arch] ?? process.arch;
  const build = { os: "linux", arch: hostArch, variant: "" };
  const [os, arch, variant] = (platform ?? "").split(",")[0]!.trim().split("/");
  const target = os && arch ? { os, arch, variant: variant ?? "" } : build;
  const out = new Map<string, string>();
  for (const [prefix, p] of [["BUILD", build], ["TARGET", target]] as const) {
    out.set(`${prefix}PLATFORM`, `${p.os}/${p.arch}${p.variant ? `/${p.variant}` : ""}`);
    out.set(`${prefix}OS`, p.os);
    out.set(`${prefix}ARCH`, p.arch);
    out.set(`${prefix}VARIANT`, p.variant);
  }
  return out;
}

export function buildContextCheck(held: string[], buildArgs: ReadonlyMap<string, string>, othersTag: OthersTag, predefined: ReadonlyMap<string, string> = new Map()): ArchiveCheck {
  // A context may be a whole project, node_modules and all (pnpm's are mostly links).
  const scan: ScanOptions = { held, purpose: "the Dockerfile", writer: "docker build", depthNote: "", maxSymlinks: 200_000 };
  return {
    scan,
    what: "docker build (nothing was built)",
    reads: "the images the Dockerfile builds on",
    decompressFirst: (command) => `send the build context uncompressed (${command} FILE | docker build -)`,
    check: async (entry) => {
      let named: NamedImage[];
      try {
        named = imagesNamed(entry.data.toString("utf8"), buildArgs, predefined);
      } catch (e) {
        if (e instanceof DockerfileTooOdd) throw new ArchiveRefused(`${entry.name} has ${e.message}`);
        throw e;
      }
      for (const image of named) {
        const other = othersTag(image.image);
        if (!other) continue;
        throw new ArchiveRefused(
          `${entry.name} builds on ${other.shown} (${image.how}, line ${image.line}), which was made on this server by ${other.user}, not pulled from its registry: building on it would put their code into your image. If you trust it, name it by its id there (docker image inspect ${other.shown} --format '{{.Id}}'); otherwise pull it under a name of your own`,
        );
      }
    },
  };
}
