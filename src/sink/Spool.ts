import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, stat, statfs } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { syncDirectory } from "../fs/syncDirectory.js";
import { writeDurably } from "../fs/writeDurably.js";
import { errorMessage } from "../log/errorMessage.js";
import type { S3Object } from "./S3Sink.js";

/**
 * Most the spool holds. It only takes the batches a stop cancelled (those
 * under way, and those the stop's last pass cut after the cancellation), so
 * reaching this takes many stops during one long outage; past it, the files
 * are the buffer again.
 */
const MAX_SPOOL_BYTES = 512 * 1024 * 1024;

/**
 * Room the spool leaves free on the state dir's disk, beyond the batch it
 * keeps: the state file is written whole beside the old one at every save
 * (temp file + rename), and the next start records intents and checkpoints
 * that make it larger, beside status.json (about as large) and the lock. Four
 * times the state file covers a save while it doubles, with status.json
 * written meanwhile; the 64 KiB margin covers a small state's files, each of
 * which takes at least a block. A spool that took that room would leave the
 * state unsaveable, and a start that cannot save its state cannot record the
 * intents that send the spool (the daemon runs on, but ships only from the spool).
 */
const STATE_COPIES = 4;
const RESERVE_MARGIN_BYTES = 64 * 1024;

/** Where the spool lives in the state dir. */
export const SPOOL_DIR = "spool";

/** What `<id>.json` holds beside the body `<id>.body`; written last, so its presence means the entry is whole. */
interface SpoolRecord {
  key: string;
  contentType: string;
  metadata: Record<string, string>;
  bytes: number;
  sha256: string;
}

/** What `take` finds: the object, verified; an entry that cannot be sent (removed, and said); or none. */
export type SpoolTake = { readonly kind: "kept"; readonly object: S3Object } | { readonly kind: "damaged" } | { readonly kind: "absent" };

function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

function isRecord(value: unknown): value is SpoolRecord {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record["key"] === "string" &&
    typeof record["contentType"] === "string" &&
    typeof record["metadata"] === "object" &&
    record["metadata"] !== null &&
    Object.values(record["metadata"]).every((item) => typeof item === "string") &&
    typeof record["bytes"] === "number" &&
    typeof record["sha256"] === "string"
  );
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === "ENOENT";
}

/**
 * The record at `path`: "absent" when there is none, "damaged" when it does
 * not parse. Throws when it cannot be read now (EACCES, EMFILE, EIO): that is
 * no damage, and the entry must stay.
 */
async function recordAt(path: string): Promise<SpoolRecord | "absent" | "damaged"> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (isMissing(error)) return "absent";
    throw error;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) ? parsed : "damaged";
  } catch {
    return "damaged";
  }
}

async function recordNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => name.endsWith(".json"));
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

/**
 * What a spool directory holds, for `ship-logs status`: every entry counts as
 * a batch, one whose record cannot be read too (it is not sent yet either);
 * the bytes are those of the records that read.
 */
export async function spoolContents(dir: string): Promise<{ batches: number; bytes: number }> {
  const names = await recordNames(dir);
  let bytes = 0;
  for (const name of names) {
    const record = await recordAt(join(dir, name)).catch(() => "damaged" as const);
    if (typeof record === "object") bytes += record.bytes;
  }
  return { batches: names.length, bytes };
}

/**
 * Objects whose upload a stop cancelled, kept in the state dir with their
 * keys: the recorded intent says which bytes of the file they hold, but a
 * file truncated, replaced or deleted while the shipper is stopped no longer
 * has them. The next start sends them from here, under the same keys.
 * Entries are verified (length and SHA-256) before they are sent. Only this
 * process writes the directory (the state dir is locked): what it holds is
 * read once and kept up to date in memory (again, while a record cannot be read).
 */
export class Spool {
  /** Saves run one after another, so that each sees what the others hold against the bound. */
  private saving: Promise<unknown> = Promise.resolve();
  /** Key -> bytes of every entry whose record reads; loaded on first use, and again while a record could not be read. */
  private index: Promise<Map<string, number>> | undefined;
  /** Records said to be unreadable: each is said once, not at every read of the directory. */
  private readonly unreadableSaid = new Set<string>();

  /** The disk was found too full to keep a batch: said once, until a batch is kept again. */
  private headroomSaid = false;

  /** @param stateFile the state file beside it, whose next saves the spool leaves room for (none: no reserve, as in unit tests) */
  constructor(
    readonly dir: string,
    private readonly logger: Logger,
    private readonly stateFile?: string,
  ) {}

  /** Keeps `object`; false when it could not (full disk, spool at its bound): said, and the file stays the only copy. */
  save(object: S3Object): Promise<boolean> {
    const saved = this.saving.then(() => this.saveNow(object));
    this.saving = saved;
    return saved;
  }

  private async saveNow(object: S3Object): Promise<boolean> {
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      const index = await this.loadIndex();
      const held = [...index.values()].reduce((sum, bytes) => sum + bytes, 0);
      if (held + object.body.length > MAX_SPOOL_BYTES) {
        this.logger.warn({ key: object.key, heldBytes: held }, "spool full: this batch is left to its file, as if there were no spool");
        return false;
      }
      if (!(await this.leavesRoomFor(object))) return false;
      const base = join(this.dir, this.idOf(object.key));
      const record: SpoolRecord = {
        key: object.key,
        contentType: object.contentType,
        metadata: object.metadata,
        bytes: object.body.length,
        sha256: sha256(object.body),
      };
      await writeDurably(`${base}.body`, object.body);
      await writeDurably(`${base}.json`, JSON.stringify(record));
      await syncDirectory(this.dir);
      index.set(object.key, object.body.length);
      this.headroomSaid = false;
      return true;
    } catch (error) {
      this.logger.warn(
        { key: object.key, code: (error as NodeJS.ErrnoException).code, err: errorMessage(error) },
        "cannot keep a cancelled batch in the spool; its file stays the only copy",
      );
      return false;
    }
  }

  /**
   * Whether keeping `object` leaves the room the state's next saves need
   * (STATE_COPIES). If not, the batch is not kept: its intent is recorded,
   * so the next start sends its lines from the file, as without a spool.
   * Said once. A disk whose free space cannot be read is not judged.
   */
  private async leavesRoomFor(object: S3Object): Promise<boolean> {
    if (this.stateFile === undefined) return true;
    let free: number;
    let block: number;
    try {
      const disk = await statfs(this.dir);
      free = disk.bavail * disk.bsize;
      block = disk.bsize;
    } catch {
      return true;
    }
    const stateBytes = await stat(this.stateFile).then(
      (info) => info.size,
      () => 0,
    );
    // The body and its record, each rounded up to whole blocks.
    const needed = Math.ceil(object.body.length / block) * block + block;
    const reserve = STATE_COPIES * stateBytes + RESERVE_MARGIN_BYTES;
    if (free - needed >= reserve) return true;
    if (!this.headroomSaid) {
      this.headroomSaid = true;
      this.logger.warn(
        { freeBytes: free, reserveBytes: reserve, stateBytes },
        "the state dir is almost full: cancelled batches are no longer kept in the spool, to leave room for the state; their files stay the only copy, and the next start sends them from there",
      );
    }
    return false;
  }

  /**
   * Removes what a save cut short (a crash, a full disk): temp files, and
   * bodies without their record, which was written last; and drops, saying
   * so, a record that reads but does not parse (written whole and renamed
   * into place, it is damage). At start, before anything is saved.
   */
  async tidy(): Promise<void> {
    try {
      const names = await readdir(this.dir).catch((error: unknown) => (isMissing(error) ? [] : Promise.reject(error)));
      const records = new Set(names.filter((name) => name.endsWith(".json")).map((name) => name.slice(0, -".json".length)));
      for (const name of names) {
        const unfinished = name.endsWith(".tmp") || (name.endsWith(".body") && !records.has(name.slice(0, -".body".length)));
        if (unfinished) {
          await rm(join(this.dir, name), { force: true });
        } else if (name.endsWith(".json") && (await recordAt(join(this.dir, name)).catch(() => "unreadable")) === "damaged") {
          this.logger.error({ entry: name }, "a spooled batch's record is damaged and is dropped: its lines are shipped from the file if it still holds them");
          await rm(join(this.dir, name), { force: true });
          await rm(join(this.dir, `${name.slice(0, -".json".length)}.body`), { force: true });
        }
      }
    } catch (error) {
      this.logger.warn({ code: (error as NodeJS.ErrnoException).code, err: errorMessage(error) }, "cannot tidy the spool; what is in it is still sent");
    }
  }

  /** The keys of the entries whose record reads (the body is checked when taken). */
  async keys(): Promise<Set<string>> {
    return new Set((await this.loadIndex()).keys());
  }

  /**
   * The object kept under `key`, verified. "damaged" when its body is missing
   * or does not match its record: then it is removed and said, at error,
   * since its file may no longer hold its lines. Throws when it cannot be
   * read now (EMFILE, EIO): the entry stays for a later try.
   */
  async take(key: string): Promise<SpoolTake> {
    const base = join(this.dir, this.idOf(key));
    const record = await recordAt(`${base}.json`);
    if (record === "absent" || (record !== "damaged" && record.key !== key)) return { kind: "absent" };
    let body: Buffer | undefined;
    try {
      body = await readFile(`${base}.body`);
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    if (record === "damaged" || body?.length !== record.bytes || sha256(body) !== record.sha256) {
      this.logger.error({ key }, "a spooled batch is damaged and is dropped; its lines are shipped from the file if it still holds them");
      await this.remove(key);
      return { kind: "damaged" };
    }
    return { kind: "kept", object: { key, body, contentType: record.contentType, metadata: record.metadata } };
  }

  /**
   * Forgets `key`: its record first (without it the body is a leftover that
   * tidy() clears), and the index before either, so that a removal that
   * fails halfway never leaves a key listed whose record is gone.
   */
  async remove(key: string): Promise<void> {
    const base = join(this.dir, this.idOf(key));
    // An index that cannot be read now has no key to forget: the files go all the same.
    (await this.loadIndex().catch(() => undefined))?.delete(key);
    await rm(`${base}.json`, { force: true });
    await rm(`${base}.body`, { force: true });
  }

  private idOf(key: string): string {
    return sha256(key).slice(0, 40);
  }

  /**
   * Records that cannot be read now are left out (their keys are unknown, and
   * they stay on disk), and such an index is not kept: the next use reads the
   * directory again, so that they are sent once they read. A failed read of
   * the directory itself is tried again at the next use too.
   */
  private loadIndex(): Promise<Map<string, number>> {
    if (this.index !== undefined) return this.index;
    const loaded = this.readIndex();
    const index = loaded.then(({ entries }) => entries);
    this.index = index;
    const forget = (): void => {
      if (this.index === index) this.index = undefined;
    };
    loaded.then(({ complete }) => {
      if (!complete) forget();
    }, forget);
    return index;
  }

  private async readIndex(): Promise<{ entries: Map<string, number>; complete: boolean }> {
    const entries = new Map<string, number>();
    let complete = true;
    for (const name of await recordNames(this.dir)) {
      const record = await recordAt(join(this.dir, name)).catch((error: unknown) => {
        if (!this.unreadableSaid.has(name)) {
          this.unreadableSaid.add(name);
          this.logger.warn({ entry: name, code: (error as NodeJS.ErrnoException).code }, "cannot read a spooled batch's record now; it is tried again later");
        }
        complete = false;
        return "damaged" as const;
      });
      if (typeof record === "object") entries.set(record.key, record.bytes);
    }
    return { entries, complete };
  }
}
