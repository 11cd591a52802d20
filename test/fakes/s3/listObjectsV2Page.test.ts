import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { compareUtf8 } from "../../../src/fakes/s3/compareUtf8.js";
import { listObjectsV2Page, type ListObjectsV2Query } from "../../../src/fakes/s3/listObjectsV2Page.js";
import type { ListedObject } from "../../../src/fakes/s3/ObjectStore.js";
import type { StoredObject } from "../../../src/fakes/s3/StoredObject.js";

const OBJECT = {} as StoredObject;
const listed = (keys: readonly string[]): ListedObject[] =>
  [...new Set(keys)].sort(compareUtf8).map((key) => ({ key, object: OBJECT }));

/** Every entry (key or common prefix) of a listing, following continuation tokens to the end. */
function walk(objects: readonly ListedObject[], query: Omit<ListObjectsV2Query, "continuationToken">): string[] {
  const seen: string[] = [];
  let token: string | undefined;
  for (let guard = 0; guard < 1000; guard++) {
    const page = listObjectsV2Page(objects, { ...query, ...(token === undefined ? {} : { continuationToken: token }) });
    expect(page.contents.length + page.commonPrefixes.length).toBeLessThanOrEqual(query.maxKeys);
    seen.push(...page.contents.map((c) => c.key), ...page.commonPrefixes);
    if (!page.isTruncated) return seen;
    token = page.nextContinuationToken;
  }
  throw new Error("listing did not terminate");
}

describe("listObjectsV2Page", () => {
  test("rolls keys up to common prefixes at the delimiter after the prefix", () => {
    const page = listObjectsV2Page(listed(["a/b/1", "a/b/2", "a/c", "a/d/x", "b"]).filter((o) => o.key.startsWith("a/")), {
      prefix: "a/",
      delimiter: "/",
      maxKeys: 1000,
    });
    expect(page.contents.map((c) => c.key)).toEqual(["a/c"]);
    expect(page.commonPrefixes).toEqual(["a/b/", "a/d/"]);
    expect(page.isTruncated).toBe(false);
  });

  test("paging with any page size yields exactly the single-page listing", () => {
    // Few distinct characters make shared prefixes likely; é and 😀 make UTF-8 and UTF-16 orders differ.
    const key = fc.array(fc.constantFrom("a", "b", "/", "é", "\uFFFD", "😀"), { maxLength: 5 }).map((chars) => chars.join(""));
    fc.assert(
      fc.property(fc.array(key, { maxLength: 30 }), fc.integer({ min: 1, max: 5 }), fc.boolean(), (keys, maxKeys, delimited) => {
        const objects = listed(keys);
        const base = delimited ? { prefix: "", delimiter: "/" } : { prefix: "" };
        // Within a page keys come before common prefixes, so compare as sorted multisets.
        const whole = walk(objects, { ...base, maxKeys: 1000 }).sort(compareUtf8);
        expect(new Set(whole).size).toBe(whole.length);
        expect(walk(objects, { ...base, maxKeys }).sort(compareUtf8)).toEqual(whole);
      }),
    );
  });

  test("start-after skips keys up to and including it; max-keys 0 is an empty, complete page", () => {
    const objects = listed(["a", "b", "c"]);
    expect(listObjectsV2Page(objects, { prefix: "", startAfter: "a", maxKeys: 10 }).contents.map((c) => c.key)).toEqual(["b", "c"]);
    expect(listObjectsV2Page(objects, { prefix: "", maxKeys: 0 })).toEqual({ contents: [], commonPrefixes: [], isTruncated: false });
  });

  test("a forged continuation token is InvalidArgument", () => {
    expect(() => listObjectsV2Page([], { prefix: "", maxKeys: 5, continuationToken: "bogus!" })).toThrow(
      expect.objectContaining({ code: "InvalidArgument" }),
    );
  });
});
