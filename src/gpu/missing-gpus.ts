// One wording for "nvidia-smi did not report every attached GPU", used by gpu list, /healthz and the alert.

export function missingGpusText(missing: number): string {
  return `${missing} attached GPU${missing === 1 ? " is" : "s are"} missing from nvidia-smi's output (fallen off the bus?); ds01 uses the GPUs it read and takes no action on the missing one${missing === 1 ? "" : "s"}`;
}
