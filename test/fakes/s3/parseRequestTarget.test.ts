import { expect, test } from "vitest";
import { parseAmzDate } from "../../../src/fakes/s3/parseAmzDate.js";
import { parseRequestTarget } from "../../../src/fakes/s3/parseRequestTarget.js";

test("splits path-style targets and decodes keys and query, keeping '+' literal", () => {
  expect(parseRequestTarget("/")).toEqual({ rawPath: "/", query: {} });
  expect(parseRequestTarget("/logs?list-type=2&prefix=a%20b")).toMatchObject({ bucket: "logs", query: { "list-type": "2", prefix: "a b" } });
  expect(parseRequestTarget("/logs/dir/a%20b+c%2Bd?x-id=PutObject")).toMatchObject({
    rawPath: "/logs/dir/a%20b+c%2Bd",
    bucket: "logs",
    key: "dir/a b+c+d",
  });
  expect(parseRequestTarget("/b?k=1&k=2&flag").query).toEqual({ k: ["1", "2"], flag: "" });
  expect(() => parseRequestTarget("/b/%E0%A4%A")).toThrow(expect.objectContaining({ code: "InvalidURI" }));
});

test("parseAmzDate accepts only real SigV4 timestamps", () => {
  expect(parseAmzDate("20250102T030405Z")).toBe(Date.UTC(2025, 0, 2, 3, 4, 5));
  expect(parseAmzDate("20250231T000000Z")).toBeUndefined();
  expect(parseAmzDate("2025-01-02T03:04:05Z")).toBeUndefined();
});
