import { createHash } from "node:crypto";
import { chmod, mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { syncDirectory } from "../fs/syncDirectory.js";
import { writeDurably } from "../fs/writeDurably.js";
import type { FileCheckpoint } from "./FileCheckpoint.js";

export const STATE_VERSION = 1;
const STATE_FILE = "state.json";

export interface ShipState {
  files: FileCheckpoint[];
}

/** The state as read, and whether a release before checkpoints carried `rotated` wrote it (markLegacyRotations). */
export interface LoadedState extends ShipState {
  rotationsUnmarked: boolean;
}

interface StateDocument {
  version: number;
  /** sha256 of JSON.stringify(files): a torn or hand-edited file is detected, not trusted. */
  checksum: string;
  files: FileCheckpoint[];
  /**
   * Written since checkpoints carry `rotated`; absent in state files of
   * earlier releases, whose checkpoints markLegacyRotations reads. Not a new
   * version: an earlier release (a rollback) ignores the field, where a new
   * version would make it refuse the state.
   */
  rotationMarked?: true;
}

/** The state file exists but cannot be trusted. */
export class StateCorruptError extends Error {
  override readonly name = "StateCorruptError";
}

/**
 * The state file is of a later format: a rollback to this release. Not
 * corrupt, and not to be moved aside: starting empty would ship every watched
 * file again from its start.
 */
export class StateTooNewError extends Error {
  override readonly name = "StateTooNewError";
  /** What the operator can do about it. */
  readonly advice = "run that release, or move the file aside to ship every watched file again from its start";
}

function checksumOf(files: FileCheckpoint[]): string {
  return createHash("sha256").update(JSON.stringify(files)).digest("hex");
}

/**
 * Checkpoints and upload intents, in one versioned JSON file. Every save is
 * atomic and durable: write a temp file, fsync it, rename it over the old one,
 * fsync the directory (a rename is only durable once its directory is).
 */
export class StateStore {
  readonly path: string;
  private saves = 0;

  constructor(readonly dir: string) {
    this.path = join(dir, STATE_FILE);
  }

  async init(): Promise<void> {
    // 0700: the state names every shipped file and where it went.
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // An existing directory keeps its mode otherwise (systemd creates
    // StateDirectory= 0755 unless told); tighten it when it is ours to change.
    await chmod(this.dir, 0o700).catch(() => undefined);
    // Temp files of saves that a crash interrupted: never renamed, never read.
    for (const name of await readdir(this.dir)) {
      if (name.startsWith(`${STATE_FILE}.tmp`)) await rm(join(this.dir, name), { force: true });
    }
  }

  async load(): Promise<LoadedState> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { files: [], rotationsUnmarked: false };
      throw error;
    }
    let doc: StateDocument | null;
    try {
      doc = JSON.parse(text) as StateDocument | null;
    } catch {
      throw new StateCorruptError(`state file ${this.path} is not valid JSON`);
    }
    if (typeof doc !== "object" || doc === null) throw new StateCorruptError(`state file ${this.path} is not a state document`);
    if (typeof doc.version === "number" && doc.version > STATE_VERSION) {
      throw new StateTooNewError(`state file ${this.path} was written by a newer ship-logs (state version ${doc.version}; this release reads ${STATE_VERSION})`);
    }
    if (doc.version !== STATE_VERSION) {
      throw new StateCorruptError(`state file ${this.path} has version ${String(doc.version)}, expected ${STATE_VERSION}`);
    }
    if (!Array.isArray(doc.files) || checksumOf(doc.files) !== doc.checksum) {
      throw new StateCorruptError(`state file ${this.path} fails its checksum`);
    }
    return { files: doc.files, rotationsUnmarked: doc.rotationMarked !== true };
  }

  /**
   * Moves an untrustworthy state file aside (never deletes it: an operator may
   * want to read it) and returns where it went.
   */
  async quarantine(now: Date = new Date()): Promise<string> {
    const aside = `${this.path}.corrupt-${now.toISOString().replace(/[:.]/g, "-")}`;
    await rename(this.path, aside);
    await syncDirectory(this.dir);
    return aside;
  }

  async save(state: ShipState): Promise<void> {
    // Serialise before the first await: uploads go on changing the state while
    // the file is opened, and the checksum must be of exactly the files written.
    const doc: StateDocument = { version: STATE_VERSION, checksum: checksumOf(state.files), files: state.files, rotationMarked: true };
    const text = JSON.stringify(doc);
    // A temp name per save: two saves never write or rename each other's file.
    await writeDurably(this.path, text, `${this.path}.tmp-${process.pid}-${(this.saves += 1)}`);
    await syncDirectory(this.dir);
  }
}
