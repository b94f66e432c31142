// The gate's record of who created what. A non-admin's container, volume or network is theirs
// because the kernel said who connected when it was created, not because of a label: labels are
// what the caller wrote. Kept in the store (table gate_owners) and mirrored in memory, since the
// gate is the only writer and listings/events consult it for every row.
import type { Store } from "../store/index.js";

/** Engine objects a caller creates (and the gate may remove again). */
export type ObjectKind = "container" | "volume" | "network";
/** What the gate records owners of: those objects, and image tags (names, see image-tags.ts). */
export type OwnedKind = ObjectKind | "tag";

export interface OwnerRecord {
  kind: OwnedKind;
  id: string;
  uid: number;
  user: string;
  admin: boolean;
  createdAt: number;
}

export interface OwnershipReader {
  get(kind: OwnedKind, id: string): OwnerRecord | null;
}

/** Reads every record (for the daemon's identity view and the gate's start). */
export function readOwnerRecords(store: Pick<Store, "gateOwners">): OwnerRecord[] {
  return store.gateOwners.all().map((r) => ({ ...r, kind: r.kind as OwnedKind }));
}

export class OwnershipStore implements OwnershipReader {
  private readonly mem = new Map<string, OwnerRecord>();

  constructor(private readonly store: Pick<Store, "gateOwners">) {
    for (const r of readOwnerRecords(store)) this.mem.set(`${r.kind}:${r.id}`, r);
  }

  get(kind: OwnedKind, id: string): OwnerRecord | null {
    return this.mem.get(`${kind}:${id}`) ?? null;
  }

  put(r: OwnerRecord): void {
    this.store.gateOwners.put(r);
    this.mem.set(`${r.kind}:${r.id}`, r);
  }

  forget(kind: OwnedKind, id: string): void {
    this.store.gateOwners.forget(kind, id);
    this.mem.delete(`${kind}:${id}`);
  }

  get size(): number {
    return this.mem.size;
  }
}

/** A lookup of container records for identity (the daemon and passes read what the gate wrote). */
export function containerRecordLookup(store: Pick<Store, "gateOwners">): (containerId: string) => { user: string; admin: boolean } | null {
  const owners = store.gateOwners;
  return (id) => owners.containerOwner(id);
}
