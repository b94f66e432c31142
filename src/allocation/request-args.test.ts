import { describe, expect, it } from "vitest";
import { InvalidInputError, RefusedError } from "../errors.js";
import { checkContainerName, checkNotInfrastructure, gpuAsk, parseLabel, requestUser } from "./request-args.js";

describe("requestUser", () => {
  it.each([
    [{ uid: 0, userName: "root" }, "alice", "alice"],
    [{ uid: 1000, userName: "alice" }, undefined, "alice"],
    [{ uid: 1000, userName: "alice" }, "alice", "alice"],
  ])("caller %o asking for %s is %s", (caller, given, want) => {
    expect(requestUser(caller, given)).toBe(want);
  });
  it("a non-root caller cannot name another user", () => {
    expect(() => requestUser({ uid: 1000, userName: "alice" }, "bob")).toThrow(RefusedError);
  });
  it("root must name the user", () => {
    expect(() => requestUser({ uid: 0, userName: "root" }, undefined)).toThrow(InvalidInputError);
  });
});

describe("gpuAsk", () => {
  it.each([
    [{}, 0, { count: 0, profile: null, preferFull: false }],
    [{}, 1, { count: 1, profile: null, preferFull: false }],
    [{ gpus: "2" }, 0, { count: 2, profile: null, preferFull: false }],
    [{ gpus: "1", "prefer-full": true }, 0, { count: 1, profile: null, preferFull: true }],
    [{ mig: "1g.10gb" }, 0, { count: 1, profile: "1g.10gb", preferFull: false }],
    [{ mig: "1c.3g.71gb" }, 0, { count: 1, profile: "1c.3g.71gb", preferFull: false }],
  ])("%o → %o", (opts, def, want) => {
    expect(gpuAsk(opts, def)).toEqual(want);
  });
  it.each([[{ gpus: "1", mig: "1g.10gb" }], [{ gpus: "1.5" }], [{ gpus: "-1" }], [{ mig: "big" }], [{ mig: "1g.10gb", "prefer-full": true }]])(
    "%o is invalid input",
    (opts) => {
      expect(() => gpuAsk(opts, 0)).toThrow(InvalidInputError);
    },
  );
});

describe("names and labels", () => {
  it("accepts docker names and refuses others", () => {
    expect(checkContainerName("my-job_1.a")).toBe("my-job_1.a");
    expect(() => checkContainerName("../x")).toThrow(InvalidInputError);
  });
  it("parses KEY=VALUE", () => {
    expect(parseLabel("a=b=c")).toEqual(["a", "b=c"]);
    expect(() => parseLabel("=x")).toThrow(InvalidInputError);
  });
});

describe("checkNotInfrastructure", () => {
  const monitoring = { infrastructure_containers: ["ds01-grafana", "lab-"], infrastructure_label: "lab.keep" };
  const alice = { uid: 1001, userName: "alice" };
  it("refuses a non-admin a name with an infrastructure prefix, or the protected label", () => {
    expect(() => checkNotInfrastructure(alice, "ds01-grafana", {}, monitoring)).toThrow(RefusedError);
    expect(() => checkNotInfrastructure(alice, "ds01-grafana", {}, monitoring)).toThrow(/ds01-grafana.*infrastructure prefix "ds01-grafana".*only root/);
    expect(() => checkNotInfrastructure(alice, "lab-x", {}, monitoring)).toThrow(RefusedError);
    expect(() => checkNotInfrastructure(alice, "box", { "lab.keep": "true" }, monitoring)).toThrow(/label lab\.keep/);
    expect(() => checkNotInfrastructure(alice, "my-ds01-grafana", { other: "1" }, monitoring)).not.toThrow();
  });
  it("lets root name infrastructure", () => {
    expect(() => checkNotInfrastructure({ uid: 0, userName: "root" }, "ds01-grafana", { "lab.keep": "true" }, monitoring)).not.toThrow();
  });
});
