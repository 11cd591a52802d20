import { compareUtf8 } from "./compareUtf8.js";
import type { StoredObject } from "./StoredObject.js";

export interface ListedObject {
  readonly key: string;
  readonly object: StoredObject;
}

export interface BucketInfo {
  readonly name: string;
  readonly createdAt: Date;
}

interface Bucket extends BucketInfo {
  readonly objects: Map<string, StoredObject>;
  /** Survives deletes, so a key written, deleted and written again counts 2 writes. */
  readonly writeCounts: Map<string, number>;
}

/** The in-memory buckets and objects of the fake S3. */
export class ObjectStore {
  readonly #buckets = new Map<string, Bucket>();

  hasBucket(name: string): boolean {
    return this.#buckets.has(name);
  }

  /** Creates the bucket; `false` when it already existed. */
  createBucket(name: string, createdAt: Date): boolean {
    if (this.#buckets.has(name)) return false;
    this.#buckets.set(name, { name, createdAt, objects: new Map(), writeCounts: new Map() });
    return true;
  }

  buckets(): BucketInfo[] {
    return [...this.#buckets.values()]
      .map(({ name, createdAt }) => ({ name, createdAt }))
      .sort((a, b) => compareUtf8(a.name, b.name));
  }

  get(bucket: string, key: string): StoredObject | undefined {
    return this.#buckets.get(bucket)?.objects.get(key);
  }

  /** Writes (or overwrites) an object; the bucket must exist. */
  put(bucket: string, key: string, object: Omit<StoredObject, "putCount">): StoredObject {
    const target = this.#require(bucket);
    const putCount = (target.writeCounts.get(key) ?? 0) + 1;
    target.writeCounts.set(key, putCount);
    const stored: StoredObject = { ...object, putCount };
    target.objects.set(key, stored);
    return stored;
  }

  delete(bucket: string, key: string): void {
    this.#require(bucket).objects.delete(key);
  }

  /** Objects whose key starts with `prefix`, in S3 (UTF-8 byte) order; empty for a missing bucket. */
  list(bucket: string, prefix = ""): ListedObject[] {
    const objects = this.#buckets.get(bucket)?.objects;
    if (objects === undefined) return [];
    const listed: ListedObject[] = [];
    for (const [key, object] of objects) if (key.startsWith(prefix)) listed.push({ key, object });
    return listed.sort((a, b) => compareUtf8(a.key, b.key));
  }

  #require(bucket: string): Bucket {
    const found = this.#buckets.get(bucket);
    if (found === undefined) throw new RangeError(`no bucket named ${JSON.stringify(bucket)}`);
    return found;
  }
}
