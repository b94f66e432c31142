// A listing of the engine with each container identified: what every observer starts from.
import type { ObservedContainer } from "../model/container.js";
import type { ContainerRuntime } from "../model/ports.js";
import { identify, type IdentityOptions } from "./identity.js";

export async function listObserved(runtime: Pick<ContainerRuntime, "list">, identity: IdentityOptions): Promise<ObservedContainer[]> {
  return (await runtime.list()).map((info) => ({ ...info, identity: identify(info, identity) }));
}
