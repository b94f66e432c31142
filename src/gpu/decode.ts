import { TransientError } from "../errors.js";

export const NVIDIA_SMI_SOURCE = "nvidia_smi";

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Tool output as text. Bytes that are not UTF-8 are garbage, not something to guess around. */
export function decodeUtf8(bytes: Buffer | Uint8Array | string, what: string, source = NVIDIA_SMI_SOURCE): string {
  if (typeof bytes === "string") return bytes;
  try {
    return decoder.decode(bytes);
  } catch (e) {
    throw new TransientError(`${what}: output is not valid UTF-8`, source, { cause: e });
  }
}
