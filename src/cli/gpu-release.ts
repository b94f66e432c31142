// ds01 gpu release --container NAME [--user U] [--json]: drops the reservation for a container.
import { containerName } from "../allocation/container-spec.js";
import { openAllocator } from "../compose/allocator.js";
import { isContainerOnly } from "../allocation/reservation.js";
import { checkContainerName, requestUser } from "../allocation/request-args.js";
import { EVENT } from "../constants/event-types.js";
import { InvalidInputError } from "../errors.js";
import { parseCommandArgs, printJson, type CliContext } from "./context.js";
import { SPECS } from "./spec.js";
import { requireSystemAuthority } from "./authority.js";

export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, SPECS["gpu release"].options);
  if (!values.container) throw new InvalidInputError("--container needs a name");
  const name = checkContainerName(values.container);
  const user = ctx.uid === 0 ? (values.user ?? null) : requestUser(ctx, values.user);
  requireSystemAuthority(ctx, "ds01 gpu release", "A reservation nobody uses expires by itself; removing your container frees its GPUs.");
  const opened = await openAllocator(ctx);
  try {
    const names = user && !name.includes("._.") ? [name, containerName(name, user)] : [name];
    const { deps } = opened;
    // Root without --user releases whatever is reserved under the name; anyone else only their own.
    const released = deps.reservations.locked(() => {
      const rows = names.flatMap((n) => deps.reservations.forContainer(n)).filter((r) => user === null || r.user === user);
      for (const id of new Set(rows.map((r) => r.requestId))) deps.reservations.deleteRequest(id);
      return rows;
    });
    const uuids = released.filter((r) => !isContainerOnly(r)).map((r) => r.slotUuid);
    if (released.length > 0) {
      deps.appendEvent?.({
        time: ctx.clock.now(),
        type: EVENT.gpuRelease,
        user: released[0]!.user,
        container: released[0]!.container,
        containerId: released[0]!.containerId,
        details: { uuids, reason: "ds01 gpu release" },
      });
    }
    if (values.json) printJson(ctx, { container: name, released: released.length > 0, uuids });
    else if (released.length === 0) ctx.out(`no reservation for ${name}: nothing to release (a container's own GPUs are freed when it is removed)\n`);
    else ctx.out(`released the reservation for ${released[0]!.container}: ${uuids.length ? uuids.join(", ") : "no GPU slots"}\n`);
    return 0;
  } finally {
    opened.close();
  }
}
