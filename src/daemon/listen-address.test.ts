import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../errors.js";
import { formatListenAddress, parseListenAddress } from "./listen-address.js";

describe("parseListenAddress", () => {
  it.each([
    ["127.0.0.1:9101", "127.0.0.1", 9101],
    ["127.0.0.1:0", "127.0.0.1", 0],
    ["[::1]:9101", "::1", 9101],
    [":9101", "0.0.0.0", 9101],
    ["localhost:80", "localhost", 80],
  ])("%s", (text, host, port) => {
    const a = parseListenAddress(text);
    expect(a).toEqual({ host, port });
    if (text !== ":9101") expect(formatListenAddress(a)).toBe(text);
  });

  it.each(["9101", "127.0.0.1", "127.0.0.1:70000", "1.2.3.4:x", "::1:9101", ""])("rejects %j", (text) => {
    expect(() => parseListenAddress(text)).toThrow(InvalidInputError);
  });
});
