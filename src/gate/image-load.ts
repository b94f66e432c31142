// A non-admin's `docker load`: the archive goes on to dockerd as it arrives (checked-archive.ts),
// except the entries that name the tags it sets (tar-scan.ts), which wait until those tags are
// claimed for the caller (image-tags.ts: new, or theirs). A refused tag stops the upload before the
// bytes that set it, so nothing is loaded or tagged.
import type { ArchiveCheck } from "./checked-archive.js";
import type { TagTarget } from "./image-tags.js";
import { MAX_LOAD_TAGS, tagsInFile } from "./load-tags.js";
import { ArchiveRefused, LOAD_SCAN, type HeldEntry, type TagFile } from "./tar-scan.js";

/** Claims these tags for the caller: null, or why not (nothing recorded then). */
export type ClaimLoadTags = (tags: readonly TagTarget[]) => Promise<string | null>;

/** What a load's archive is checked for: every tag it sets is the caller's to set. */
export function loadCheck(claim: ClaimLoadTags): ArchiveCheck {
  let tagsChecked = 0;
  const check = async (h: HeldEntry) => {
    const tags = tagsInFile(h.name as TagFile, h.data);
    const bad = tags.find((t) => t.target === null);
    if (bad) throw new ArchiveRefused(`the archive's ${h.name} names ${JSON.stringify(bad.written)}, which is not an image tag (NAME or NAME:TAG)`);
    if (tags.length === 0) return;
    // The bound is the load's, not each file's: an archive may repeat its tag files without end.
    tagsChecked += tags.length;
    if (tagsChecked > MAX_LOAD_TAGS) throw new ArchiveRefused(`the archive's tag files together set more than ${MAX_LOAD_TAGS} tags; the gate checks at most ${MAX_LOAD_TAGS} per load: save fewer images at once`);
    const reason = await claim(tags.map((t) => t.target!));
    if (reason) {
      throw new ArchiveRefused(
        `${reason}. A load sets the tags its archive names (here in its ${h.name}): save the image under a name of your own (docker tag IMAGE NEWNAME, then docker save NEWNAME), or save it by image id and docker tag it after loading`,
      );
    }
  };
  return { scan: LOAD_SCAN, what: "docker load (nothing was loaded)", reads: "the tags the archive sets", decompressFirst: (command) => `${command} FILE | docker load`, check };
}
