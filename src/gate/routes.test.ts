import { describe, expect, it } from "vitest";
import { classify } from "./routes.js";

describe("classify", () => {
  it.each([
    ["HEAD", "/_ping", "open"],
    ["GET", "/version", "open"],
    ["POST", "/containers/create", "create"],
    ["GET", "/containers/json", "list"],
    ["GET", "/networks/bridge", "network-read"],
    ["GET", "/events", "events"],
    ["POST", "/containers/abc/exec", "exec-create"],
    ["POST", "/exec/0123/start", "exec"],
    ["POST", "/build", "build"],
    ["DELETE", "/images/busybox:latest", "image-remove"],
    ["POST", "/images/reg.example.org/team/app:v1/tag", "image-tag"],
    ["POST", "/images/busybox/push", "open"],
    ["POST", "/images/load", "image-load"],
    ["POST", "/volumes/create", "volume-create"],
    ["DELETE", "/volumes/v1", "volume"],
    ["POST", "/networks/n1/connect", "network"],
    ["POST", "/containers/prune", "admin"],
    ["POST", "/swarm/init", "admin"],
    ["GET", "/plugins", "admin"],
    ["POST", "/grpc", "admin"],
    ["GET", "/Containers/json", "admin"],
    ["GET", "/frobnicate", "admin"],
    ["PUT", "/containers/abc/stop", "admin"], // a known path with the wrong method is not guessed at
  ])("%s %s → %s", (method, path, kind) => {
    expect(classify(method, path).kind).toBe(kind);
  });

  it("names the container and the operation", () => {
    expect(classify("DELETE", "/containers/web")).toEqual({ kind: "container", ref: "web", op: "remove" });
    expect(classify("GET", "/containers/web/attach/ws")).toEqual({ kind: "container", ref: "web", op: "attach/ws" });
    expect(classify("PUT", "/containers/web/archive")).toEqual({ kind: "container", ref: "web", op: "archive" });
  });

  it("every container operation of the Engine API is owner-checked, none is open", () => {
    for (const op of ["start", "stop", "kill", "restart", "pause", "unpause", "rename", "update", "attach", "wait", "resize"]) {
      expect(classify("POST", `/containers/x/${op}`).kind).toBe("container");
    }
    for (const op of ["json", "logs", "top", "stats", "changes", "export", "archive"]) expect(classify("GET", `/containers/x/${op}`).kind).toBe("container");
  });
});
