import { describe, expect, it } from "vitest";
import { DockerfileTooOdd, expandWord, imagesNamed } from "./dockerfile-images.js";

const images = (text: string, args: Record<string, string> = {}) => imagesNamed(text, new Map(Object.entries(args))).map((n) => n.image);

describe("imagesNamed", () => {
  it("reads each FROM, leaving out scratch and earlier stages (named in any case)", () => {
    const text = "FROM ubuntu:24.04 AS Build\nRUN make\nFROM build AS test\nFROM scratch\nFROM --platform=linux/amd64 python:3.12-slim\n";
    expect(images(text)).toEqual(["ubuntu:24.04", "python:3.12-slim"]);
    expect(imagesNamed(text, new Map()).map((n) => [n.how, n.line])).toEqual([
      ["FROM", 1],
      ["FROM", 5],
    ]);
  });

  it("fills in ARGs from before the first FROM: the build's own arguments first, then the defaults", () => {
    const text = "ARG BASE=ubuntu\nARG TAG\nARG FULL=${BASE}:${TAG:-22.04}\nFROM $BASE:${TAG:-latest}\nFROM ${FULL}\nARG LATE=nope\nFROM ${LATE:-late-default}\n";
    expect(images(text)).toEqual(["ubuntu:latest", "ubuntu:22.04", "late-default"]);
    expect(images(text, { BASE: "debian", TAG: "12" })).toEqual(["debian:12", "debian:12", "late-default"]);
    // A build argument the Dockerfile does not declare is not used.
    expect(images("FROM ${UNDECLARED:-x}\n", { UNDECLARED: "y" })).toEqual(["x"]);
  });

  it("joins continued lines, skipping comments and blank lines inside them; case-insensitive keywords", () => {
    const text = "# a comment\n  from \\\n# inside\n\n   alpine:3 \\\n  AS base\nfr\\\nom busybox\n";
    expect(images(text)).toEqual(["alpine:3", "busybox"]);
  });

  it("honours the escape directive, and only at the top", () => {
    expect(images("# escape=`\nFROM a `\n  AS x\nFROM b\\\n")).toEqual(["a", "b\\"]);
    // After an instruction it is a comment: the backslash still continues lines.
    expect(images("FROM a\n# escape=`\nFROM b \\\n AS c\n")).toEqual(["a", "b"]);
  });

  it("reads COPY/ADD --from and RUN --mount from= that are not stages or stage numbers", () => {
    const text = "FROM golang AS build\nCOPY --from=build /out /out\nCOPY --from=0 /a /a\nCOPY --chown=1 --from=nginx:1 /etc/nginx /n\nADD --from=tools:2 /x /y\nRUN --mount=type=bind,from=cache-img:1,target=/c --mount=type=cache,target=/d make\nRUN --mount=type=bind,from=build,target=/b true\n";
    expect(imagesNamed(text, new Map()).map((n) => `${n.how} ${n.image}`)).toEqual(["FROM golang", "COPY --from nginx:1", "ADD --from tools:2", "RUN --mount from cache-img:1"]);
  });

  it("names the frontend of a # syntax directive", () => {
    expect(imagesNamed("# syntax=docker/dockerfile:1\n# escape=\\\nFROM a\n", new Map()).map((n) => [n.how, n.image, n.line])).toEqual([
      ["# syntax", "docker/dockerfile:1", 1],
      ["FROM", "a", 3],
    ]);
  });

  it("takes CRLF line ends and a byte-order mark", () => {
    expect(images("\uFEFFFROM a AS s\r\nFROM s\r\nFROM b\r\n")).toEqual(["a", "b"]);
  });
});

describe("variables and directives as the builders read them", () => {
  it("nested defaults, :? and ?, and BuildKit's predefined platform ARGs are filled in", () => {
    const args = { B: "ubuntu:24.04", V: "24.04" };
    expect(images("ARG A\nARG B\nARG V\nFROM ${A:-${B}}\nFROM ubuntu:${TAG:-${V}}\nFROM ubuntu:${V:?required}\nFROM x:${V?}\n", args)).toEqual(["ubuntu:24.04", "ubuntu:24.04", "ubuntu:24.04", "x:24.04"]);
    const platform = new Map([["TARGETARCH", "amd64"]]);
    expect(imagesNamed("FROM org/base-${TARGETARCH}:1\n", new Map(), platform).map((n) => n.image)).toEqual(["org/base-amd64:1"]);
    expect(imagesNamed("ARG TARGETARCH\nFROM org/base-${TARGETARCH}:1\n", new Map(), platform).map((n) => n.image)).toEqual(["org/base-amd64:1"]);
  });

  it("a name the gate cannot fill in is refused, not checked as written", () => {
    for (const from of ["ubuntu:${V#v}", "ubuntu:${V%-x}", "ubuntu:${V/a/b}", "x$"]) {
      expect(() => imagesNamed(`ARG V=v24.04\nFROM ${from}\n`, new Map()), from).toThrow(/FROM on line 2 naming .*which the gate cannot fill in/);
    }
  });

  it("directives end at the first line that is none (both the classic and BuildKit's readings are checked), may be indented, and # syntax takes its first word", () => {
    expect(images("# check=skip=all\n# escape=`\nRUN echo `\nFROM ubuntu:24.04\n")).toEqual(["ubuntu:24.04"]);
    expect(images("  # escape=`\nFROM a `\n AS b\n")).toEqual(["a"]);
    expect(images("# syntax=front/end:1 --opt\nFROM a\n")).toEqual(["front/end:1", "a"]);
    expect(images("# foo=bar\n# escape=`\nFROM a \\\n  AS b\n")).toEqual(["a"]);
  });
});

describe("hostile Dockerfiles", () => {
  it("read in linear time: long runs of blanks, a long directive, nested defaults (each would be quadratic with a careless pattern)", () => {
    const blanks = " ".repeat(1_000_000);
    // (The syntax directive's first word is its frontend.)
    expect(images(`# syntax=x${blanks}y\nFROM a${blanks}b\nFROM c\n`)).toEqual(["x", "a", "c"]);
    expect(images(`FROM a \\${blanks}\n AS s\nFROM s${blanks}\\\n`)).toEqual(["a"]);
    const nested = "${A:-".repeat(200_000) + "x" + "}".repeat(200_000);
    expect(() => imagesNamed(`FROM ${nested}\n`, new Map())).toThrow(DockerfileTooOdd);
    // Repeated flags (each once a copy of all before it, once) and ARGs made of ARGs (a thousandfold a step).
    expect(images(`FROM a\nRUN ${"--x ".repeat(250_000)}true\n`)).toEqual(["a"]);
    const amplified = `ARG A=${"a".repeat(4000)}\nARG B=${"$A".repeat(2040)}\nARG C=${"$B".repeat(60)}\nFROM $C\n`;
    expect(() => imagesNamed(amplified, new Map())).toThrow(/longer than 4096 characters once its variables are filled in/);
    // Exactly the limit, with blank lines after it, is read.
    expect(images(`${"RUN true\n".repeat(9_999)}FROM last\n\n\n`)).toEqual(["last"]);
    // Too many instructions is refused, not read in part (a FROM after them would go unchecked).
    expect(() => imagesNamed(`${"RUN true\n".repeat(10_000)}FROM late\n`, new Map())).toThrow(/more than 10000 instructions/);
  });
});

describe("expandWord", () => {
  const vars = new Map([
    ["A", "x"],
    ["E", ""],
  ]);
  it("expands as the builder's word reader does", () => {
    expect(expandWord("$A-${A}_${E:-d}_${E-d}_${N-d}_${A:+p}_${E:+p}_${E+p}_${N+p}", vars)).toBe("x-x_d__d_p__p_");
    expect(expandWord("'$A'\"$A\"\\$A", vars)).toBe("$Ax$A");
    expect(expandWord("`$A", vars, "`")).toBe("$A");
    expect(expandWord("$1 ${ not } $", vars)).toBe("$1 ${ not } $");
  });
});
