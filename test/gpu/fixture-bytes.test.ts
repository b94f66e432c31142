import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fixtureBytes } from "./capture-file.js";

// The fixtures must stay byte-for-byte what the machines printed (no formatter, no EOL fixer).
const BLOBS = {
  "a5000-dual-driver590.xml": "6fd436799b82ce4423819e0846345ecca3ee346b",
  "rtx3090-v13.xml": "51d1e853dcbaf58f19d97176c79aacd8712f5417",
  "a100-40gb-mig-driver510.xml": "74146ac7874a8a7a8fb211bc981ef121fafe0884",
  "h100-mig-driver590.capture.txt": "6d7980a7e56926d288615e7dedf3f45c491b4cdf",
  "h100-driver590.capture.txt": "f7a72286b5dd151b0025fd53f2f0936a38109771",
} as const;

describe("nvidia-smi fixture copies", () => {
  it.each(Object.entries(BLOBS))("%s has git blob id %s", (name, blob) => {
    const bytes = fixtureBytes(name);
    const id = createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
    expect(id).toBe(blob);
  });
});
