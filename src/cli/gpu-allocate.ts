// ds01 gpu allocate --user U --container NAME [--gpus N | --mig PROFILE] [--prefer-full] [--json]
import { allocate } from "../allocation/allocator.js";
import { formatEq } from "../allocation/numbers.js";
import { openAllocator } from "../compose/allocator.js";
import { checkContainerName, gpuAsk, requestUser } from "../allocation/request-args.js";
import { InvalidInputError } from "../errors.js";
import { isoTime } from "../util/clock.js";
import { parseCommandArgs, printJson, type CliContext } from "./context.js";
import { SPECS } from "./spec.js";
import { ALLOCATE_INSTEAD, requireSystemAuthority } from "./authority.js";

export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, SPECS["gpu allocate"].options);
  if (!values.container) throw new InvalidInputError("--container needs a name");
  const container = checkContainerName(values.container);
  const user = requestUser(ctx, values.user);
  const ask = gpuAsk(values, 1);
  if (ask.count < 1) throw new InvalidInputError("--gpus must be at least 1");
  requireSystemAuthority(ctx, "ds01 gpu allocate", ALLOCATE_INSTEAD);
  const opened = await openAllocator(ctx);
  try {
    const a = await allocate(opened.deps, { user, container, ...ask });
    if (values.json) {
      printJson(ctx, {
        user: a.user,
        container: a.container,
        uuids: a.uuids,
        gpu_equivalent: a.gpuEquivalent,
        slots: a.slots.map((s) => s.id),
        expires_at: isoTime(a.expiresAt),
        already_reserved: a.existing,
      });
    } else {
      ctx.out(
        `${a.existing ? "already reserved" : "reserved"} for ${a.user}/${a.container}: ${a.slots.map((s) => `${s.id} (${s.uuid})`).join(", ")}` +
          ` = ${formatEq(a.gpuEquivalent)} GPU-equivalents; held until ${isoTime(a.expiresAt)} unless a container carries it\n`,
      );
    }
    return 0;
  } finally {
    opened.close();
  }
}
