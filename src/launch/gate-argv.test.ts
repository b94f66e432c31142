import { describe, expect, it } from "vitest";
import { parseCommandLine } from "../cli/program.js";
import { plainGateCommandLine } from "./gate-argv.js";

const io = { out: () => undefined, err: () => undefined, version: "0" };

describe("the gate's plain command line", () => {
  it.each([
    [["gate"]],
    [["gate", "--socket", "/run/docker.sock"]],
    [["gate", "--engine=/run/ds01/engine.sock", "--socket=/run/docker.sock"]],
    [["--config", "/etc/ds01", "--state-dir", "/var/lib/ds01", "gate", "--socket", "/run/docker.sock", "--engine", "/run/ds01/engine.sock"]],
    [["--log-format=json", "--config=/etc/ds01", "gate"]],
    [["--config", "gate", "gate"]],
  ])("%j reads as the full command line reads it", (argv) => {
    const parsed = parseCommandLine(argv, io);
    if (parsed.kind !== "run") throw new Error("the full command line did not run it");
    expect(parsed.key).toBe("gate");
    expect(plainGateCommandLine(argv)).toEqual({ ...parsed.globals, argv: parsed.argv });
  });

  it.each([
    [[]],
    [["gate", "--help"]],
    [["gate", "-h"]],
    [["help", "gate"]],
    [["--help", "gate"]],
    [["gate", "--bogus"]],
    [["gate", "--socket"]],
    [["gate", "--socket", "/a", "--socket", "/b"]],
    [["gate", "--socket", "--engine", "/e"]],
    [["gate", "--socket="]],
    [["gate", "extra"]],
    [["gate", "--", "--socket", "/a"]],
    [["gate", "--config", "/etc/ds01"]],
    [["--log-format", "xml", "gate"]],
    [["--config", " ", "gate"]],
    [["-V"]],
    [["status", "--json"]],
    [["gpu", "status"]],
  ])("%j is left to the full command line", (argv) => {
    expect(plainGateCommandLine(argv)).toBeNull();
  });
});
