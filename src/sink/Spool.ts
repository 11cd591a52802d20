import { createHash } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { errorMessage } from "../log/errorMessage.js";
import type { S3Object } from "./S3Sink.js";

/**
 * Most the spool holds. It only takes the batches a stop cancelled (those
 * under way, and those the stop's last pass cut after the cancellation), so
 * reaching this takes many stops during one long outage; past it, the files
 * are the buffer again.
 */
const MAX_SPOOL_BYTES = 512 * 1024 * 1024;

/** What `<id>.json` holds beside the body `<id>.body`; written last, so its presence means the entry is whole. */
interface SpoolRecord {
  key: string;
  contentType: string;
  metadata: Record<string, string>;
  bytes: number;
  sha256: string;
}

function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Writes `data` to `path` durably and atomically: a temp file, fsync, rename. */
async function writeDurably(path: string, data: Buffer | string): Promise<void> {
  const temp = `${path}.tmp`;
  const handle = await open(temp, "w", 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
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

async function recordAt(path: string): Promise<SpoolRecord | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path, "utf8"));
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

async function readRecords(dir: string): Promise<SpoolRecord[]> {
  const names = await readdir(dir).catch(() => []);
  const records: SpoolRecord[] = [];
  for (const name of names) {
    if (!name.endsWith(".json")) continue;
    const record = await recordAt(join(dir, name));
    if (record !== undefined) records.push(record);
  }
  return records;
}

/** Where the spool lives in the state dir. */
export const SPOOL_DIR = "spool";

/** What a spool directory holds, for `ship-logs status`: batches waiting to be sent, and their bytes. */
export async function spoolContents(dir: string): Promise<{ batches: number; bytes: number }> {
  const records = await readRecords(dir);
  return { batches: records.length, bytes: records.reduce((sum, record) => sum + record.bytes, 0) };
}

/**
 * Objects whose upload a stop cancelled, kept in the state dir with their
 * keys: the recorded intent says which bytes of the file they hold, but a
 * file truncated, replaced or deleted while the shipper is stopped no longer
 * has them. The next start sends them from here, under the same keys.
 * Entries are verified (length and SHA-256) before they are sent.
 */
export class Spool {
  /** Saves run one after another, so that each sees what the others hold against the bound. */
  private saving: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly logger: Logger,
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
      const held = await this.heldBytes();
      if (held + object.body.length > MAX_SPOOL_BYTES) {
        this.logger.warn({ key: object.key, heldBytes: held }, "spool full: this batch is left to its file, as if there were no spool");
        return false;
      }
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
      await syncDir(this.dir);
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
   * Removes what a save cut short (a crash, a full disk): temp files, and
   * bodies without their record, which was written last. At start, before
   * anything is saved.
   */
  async tidy(): Promise<void> {
    try {
      const names = await readdir(this.dir).catch(() => []);
      const records = new Set(names.filter((name) => name.endsWith(".json")).map((name) => name.slice(0, -".json".length)));
      for (const name of names) {
        const unfinished = name.endsWith(".tmp") || (name.endsWith(".body") && !records.has(name.slice(0, -".body".length)));
        if (unfinished) await rm(join(this.dir, name), { force: true });
        // A record is written whole and renamed into place: one that does not read is damage, not a save cut short.
        else if (name.endsWith(".json") && (await recordAt(join(this.dir, name))) === undefined) {
          this.logger.error({ entry: name }, "a spooled batch's record is damaged and is dropped: its lines are shipped from the file if it still holds them");
          await rm(join(this.dir, name), { force: true });
          await rm(join(this.dir, `${name.slice(0, -".json".length)}.body`), { force: true });
        }
      }
    } catch (error) {
      this.logger.warn({ code: (error as NodeJS.ErrnoException).code, err: errorMessage(error) }, "cannot tidy the spool; what is in it is still sent");
    }
  }

  /** The keys of the entries whose record reads and whose body is there at its length (its checksum is checked when taken). */
  async keys(): Promise<Set<string>> {
    const keys = new Set<string>();
    for (const record of await readRecords(this.dir)) {
      const size = await stat(join(this.dir, `${this.idOf(record.key)}.body`)).then(
        (info) => info.size,
        () => undefined,
      );
      if (size === record.bytes) keys.add(record.key);
    }
    return keys;
  }

  /**
   * The object kept under `key`, verified. Undefined when there is none, or
   * when it is damaged: then it is removed and said, at error, since its file
   * may no longer hold its lines. Throws when it cannot be read (EMFILE, EIO):
   * the entry stays for a later try.
   */
  async take(key: string): Promise<S3Object | undefined> {
    const base = join(this.dir, this.idOf(key));
    const record = await recordAt(`${base}.json`);
    if (record?.key !== key) return undefined;
    let body: Buffer | undefined;
    try {
      body = await readFile(`${base}.body`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    if (body?.length !== record.bytes || sha256(body) !== record.sha256) {
      this.logger.error({ key }, "a spooled batch is damaged and is dropped; its lines are shipped from the file if it still holds them");
      await this.remove(key);
      return undefined;
    }
    return { key, body, contentType: record.contentType, metadata: record.metadata };
  }

  async remove(key: string): Promise<void> {
    const base = join(this.dir, this.idOf(key));
    await rm(`${base}.json`, { force: true });
    await rm(`${base}.body`, { force: true });
  }

  private idOf(key: string): string {
    return sha256(key).slice(0, 40);
  }

  private async heldBytes(): Promise<number> {
    return (await spoolContents(this.dir)).bytes;
  }
}
