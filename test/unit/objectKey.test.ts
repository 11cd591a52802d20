import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KEY_TOKENS } from "../../src/sink/KeyTemplate.js";
import { KEY_LAYOUTS, type KeyLayout } from "../../src/sink/keyLayouts.js";
import { objectKey, type KeyParts } from "../../src/sink/objectKey.js";
import { parseKeyTemplate } from "../../src/sink/parseKeyTemplate.js";

const DEFAULT = parseKeyTemplate(KEY_LAYOUTS.default);
const HIVE = parseKeyTemplate(KEY_LAYOUTS.hive);

function parts(overrides: Partial<KeyParts> = {}): KeyParts {
  return {
    prefix: "logs/",
    host: { instance: "i-0abc123", region: "eu-west-1", account: "123456789012", hostname: "web-01.internal" },
    createdAt: new Date("2024-03-05T07:59:59.999Z"),
    fileName: "app.log",
    sourceId: "a1b2c3d4e5f6",
    start: 0,
    end: 1234,
    compression: "gzip",
    ...overrides,
  };
}

/** objectKey as it was before key templates: the layouts must keep producing exactly this. */
function layoutKeyBeforeTemplates(p: KeyParts, layout: KeyLayout): string {
  const safe = (name: string) => name.replace(/[/\\\u0000-\u001f\u007f]/g, "_") || "_";
  const file = safe(p.fileName);
  const range = `${String(p.start).padStart(15, "0")}-${String(p.end).padStart(15, "0")}`;
  const name = `${p.sourceId}-${range}.log${p.compression === "gzip" ? ".gz" : ""}`;
  const date = p.createdAt.toISOString().slice(0, 10);
  const instance = safe(p.host.instance ?? "");
  return layout === "hive" ? `${p.prefix}dt=${date}/instance=${instance}/file=${file}/${name}` : `${p.prefix}${instance}/${date}/${file}/${name}`;
}

/** Names without what the new code additionally replaces (C1 controls, "." and ".."). */
const ordinaryName = fc.string({ minLength: 0, maxLength: 30 }).filter((s) => !/[\u0080-\u009f]/.test(s) && s !== "." && s !== "..");
const anyParts = fc.record({
  prefix: fc.constantFrom("", "logs/", "a/b/", "x"),
  host: fc.record({ instance: ordinaryName, region: ordinaryName, account: ordinaryName, hostname: ordinaryName }),
  createdAt: fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2099-12-31T23:59:59Z"), noInvalidDate: true }),
  fileName: ordinaryName,
  sourceId: fc.stringMatching(/^[0-9a-f]{12}$/),
  start: fc.nat({ max: 2 ** 40 }),
  end: fc.nat({ max: 2 ** 40 }),
  compression: fc.constantFrom("gzip" as const, "none" as const),
});

describe("objectKey with the predefined layouts", () => {
  it("writes the default layout", () => {
    expect(objectKey(parts(), DEFAULT)).toBe("logs/i-0abc123/2024-03-05/app.log/a1b2c3d4e5f6-000000000000000-000000000001234.log.gz");
  });

  it("writes the hive layout", () => {
    expect(objectKey(parts({ compression: "none" }), HIVE)).toBe(
      "logs/dt=2024-03-05/instance=i-0abc123/file=app.log/a1b2c3d4e5f6-000000000000000-000000000001234.log",
    );
  });

  it.each(["default", "hive"] as const)("keeps the %s layout's output from before key templates", (layout) => {
    const template = parseKeyTemplate(KEY_LAYOUTS[layout]);
    fc.assert(fc.property(anyParts, (p) => objectKey(p, template) === layoutKeyBeforeTemplates(p, layout)));
  });
});

describe("objectKey with a template", () => {
  it("fills every token, dates and hours in UTC", () => {
    const all = parseKeyTemplate(`{prefix}${KEY_TOKENS.filter((t) => t !== "prefix").map((t) => `${t}={${t}}`).join("/")}`);
    expect(objectKey(parts({ createdAt: new Date("2024-12-31T23:30:00-02:00") }), all)).toBe(
      "logs/instance=i-0abc123/region=eu-west-1/account=123456789012/hostname=web-01.internal/file=app.log/yyyy=2025/mm=01/dd=01/hh=01/a1b2c3d4e5f6-000000000000000-000000000001234.log.gz",
    );
  });

  it("keeps values inside their segment: no /, \\, control characters, '.' or '..' from a value", () => {
    const template = parseKeyTemplate("{prefix}{hostname}/{instance}/{file}");
    const key = objectKey(parts({ host: { hostname: "a/../b\\c", instance: ".." }, fileName: "x\u0000\n\u0085y" }), template);
    expect(key).toBe("logs/a_.._b_c/_/x___y/a1b2c3d4e5f6-000000000000000-000000000001234.log.gz");
    expect(objectKey(parts({ host: { hostname: "", instance: "." } }), template).startsWith("logs/_/_/")).toBe(true);
  });

  it("never adds a level: a key has the template's segments plus the prefix's plus the name", () => {
    const template = parseKeyTemplate("{prefix}{region}/{account}/{hostname}-{instance}/{yyyy}/{mm}/{dd}/{hh}/{file}");
    fc.assert(
      fc.property(anyParts, fc.string(), fc.string(), (p, hostname, fileName) => {
        const key = objectKey({ ...p, host: { ...p.host, hostname }, fileName }, template);
        const segments = key.split("/");
        expect(segments).toHaveLength(p.prefix.split("/").length - 1 + 8 + 1);
        expect(segments.every((segment) => segment !== "." && segment !== ".." && !/[\\\u0000-\u001f\u007f-\u009f]/.test(segment))).toBe(true);
      }),
    );
  });

  it("gives distinct batches of one host distinct keys whatever the template, date and file", () => {
    const templates = ["{prefix}{instance}", "{prefix}{hostname}/{yyyy}", KEY_LAYOUTS.hive].map(parseKeyTemplate);
    const batch = fc.record({ sourceId: fc.stringMatching(/^[0-9a-f]{12}$/), start: fc.nat(), end: fc.nat() });
    fc.assert(
      fc.property(fc.constantFrom(...templates), anyParts, batch, batch, anyParts, (template, host, a, b, other) => {
        fc.pre(a.sourceId !== b.sourceId || a.start !== b.start || a.end !== b.end);
        const first = objectKey({ ...host, ...a }, template);
        const second = objectKey({ ...host, createdAt: other.createdAt, fileName: other.fileName, ...b }, template);
        expect(first).not.toBe(second);
      }),
    );
  });

  it("refuses to build a key without a value for a host token it uses", () => {
    expect(() => objectKey(parts({ host: { instance: "i-1" } }), parseKeyTemplate("{prefix}{instance}/{account}"))).toThrow("no value for {account}");
  });
});
