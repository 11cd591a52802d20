import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUCKET, baseArgs, linesInS3, runCli, startWorld, type World } from "../support/world.js";

const ATHENA_DIR = fileURLToPath(new URL("../../docs/athena/", import.meta.url));
const INSTANCE_ID = "i-0a7e4a0000000c0de";

/** The DDL without its `--` comments (none of its string literals holds "--"). */
async function readSql(name: string): Promise<string> {
  const text = await readFile(join(ATHENA_DIR, name), "utf8");
  return text.replace(/--[^\n]*/g, "");
}

interface TableDefinition {
  columns: string[];
  partitions: string[];
  location: string;
  properties: Map<string, string>;
}

function columnsOf(list: string): string[] {
  return list.split(",").map((column) => column.trim().replace(/`/g, "")).filter((column) => column !== "");
}

function parseTable(ddl: string): TableDefinition {
  const columns = /CREATE EXTERNAL TABLE IF NOT EXISTS ship_logs \(([^)]*)\)/.exec(ddl)?.[1];
  const partitions = /PARTITIONED BY \(([^)]*)\)/.exec(ddl)?.[1];
  const location = /LOCATION '([^']*)'/.exec(ddl)?.[1];
  const tblproperties = /TBLPROPERTIES \(([^)]*)\)/.exec(ddl)?.[1];
  if (columns === undefined || partitions === undefined || location === undefined || tblproperties === undefined) {
    throw new Error("ship_logs.sql: expected CREATE EXTERNAL TABLE, PARTITIONED BY, LOCATION and TBLPROPERTIES");
  }
  const properties = new Map([...tblproperties.matchAll(/'([^']+)'\s*=\s*'([^']*)'/g)].map((m) => [m[1] ?? "", m[2] ?? ""]));
  return { columns: columnsOf(columns), partitions: columnsOf(partitions), location, properties };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** `s3://b/p/dt=${dt}/…/` as a pattern for object URLs directly in such a partition, capturing each column by name. */
function templatePattern(template: string): RegExp {
  const pattern = template
    .split(/(\$\{\w+\})/)
    .map((piece) => {
      const column = /^\$\{(\w+)\}$/.exec(piece)?.[1];
      return column === undefined ? escapeRegExp(piece) : `(?<${column}>[^/]+)`;
    })
    .join("");
  return new RegExp(`^${pattern}[^/]+$`);
}

/** Java SimpleDateFormat, the letters a date projection over days needs (yyyy, MM, dd), in UTC. */
function parseProjectedDate(format: string, text: string): Date | undefined {
  const fields: string[] = [];
  const pattern = format.replace(/yyyy|MM|dd|[^A-Za-z]/g, (piece) => {
    if (/^[A-Za-z]+$/.test(piece)) {
      fields.push(piece);
      return piece === "yyyy" ? "(\\d{4})" : "(\\d{2})";
    }
    return escapeRegExp(piece);
  });
  if (/[A-Za-z]/.test(format.replace(/yyyy|MM|dd/g, ""))) throw new Error(`unsupported date format ${format}`);
  const match = new RegExp(`^${pattern}$`).exec(text);
  if (match === null) return undefined;
  const value = (letters: string) => Number(match[fields.indexOf(letters) + 1]);
  const date = new Date(Date.UTC(value("yyyy"), value("MM") - 1, value("dd")));
  // SimpleDateFormat is lenient by default, Athena's projection is not: 2024-02-30 is no day.
  return date.getUTCDate() === value("dd") && date.getUTCMonth() === value("MM") - 1 ? date : undefined;
}

describe("docs/athena: the table reads what ship-logs --key-layout hive writes", () => {
  let world: World;
  let table: TableDefinition;
  let before: Date;
  let after: Date;
  const files = new Map([
    ["app.log", Array.from({ length: 400 }, (_, i) => `{"level":30,"msg":"request ${i}"}`)],
    ["access.log", Array.from({ length: 300 }, (_, i) => `10.0.0.${i % 255} - - "GET /item/${i} HTTP/1.1" 200 ${i}`)],
  ]);

  beforeAll(async () => {
    table = parseTable((await readSql("ship_logs.sql")).replaceAll("BUCKET", BUCKET));
    world = await startWorld({ imds: { instanceId: INSTANCE_ID } });
    for (const [name, lines] of files) await writeFile(join(world.logs, name), `${lines.join("\n")}\n`);
    before = new Date();
    // Small batches: several objects per partition.
    const run = await runCli([...baseArgs(world), "--once", "--key-layout", "hive", "--prefix", "logs/", "--batch-max-bytes", "4KiB"]);
    after = new Date();
    expect(run.code, run.stderr).toBe(0);
  });

  afterAll(async () => {
    await world.close();
  });

  it("declares one string column for the line and the dt, instance and file partitions", () => {
    expect(table.columns).toEqual(["line string"]);
    expect(table.partitions).toEqual(["dt string", "instance string", "file string"]);
  });

  it("projects dt as a date and injects instance and file", () => {
    const { properties } = table;
    expect(properties.get("projection.enabled")).toBe("true");
    expect(properties.get("projection.dt.type")).toBe("date");
    expect(properties.get("projection.dt.interval")).toBe("1");
    expect(properties.get("projection.dt.interval.unit")).toBe("DAYS");
    expect(properties.get("projection.instance.type")).toBe("injected");
    expect(properties.get("projection.file.type")).toBe("injected");
  });

  it("has a location template under LOCATION with a placeholder for every partition column", () => {
    const template = table.properties.get("storage.location.template") ?? "";
    expect(table.location).toBe(`s3://${BUCKET}/logs/`);
    expect(template.startsWith(table.location)).toBe(true);
    expect([...template.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1])).toEqual(["dt", "instance", "file"]);
  });

  it("finds every object the CLI wrote in the partition its key names, and dt parses with the projection's format", () => {
    const pattern = templatePattern(table.properties.get("storage.location.template") ?? "");
    const format = table.properties.get("projection.dt.format") ?? "";
    const [rangeStart, rangeEnd] = (table.properties.get("projection.dt.range") ?? "").split(",");
    const firstDay = parseProjectedDate(format, rangeStart ?? "");
    expect(firstDay, `range start ${rangeStart}`).toBeDefined();
    expect(rangeEnd).toBe("NOW");
    const days = new Set([before, after].map((at) => at.toISOString().slice(0, 10)));

    const objects = world.s3.listObjects(BUCKET);
    expect(objects.length).toBeGreaterThan(files.size);
    const partitions = new Set<string>();
    for (const { key } of objects) {
      const match = pattern.exec(`s3://${BUCKET}/${key}`);
      expect(match, `${key} matches ${pattern}`).not.toBeNull();
      const { dt = "", instance, file = "" } = match?.groups ?? {};
      expect(instance).toBe(INSTANCE_ID);
      expect(files.has(file), `file=${file}`).toBe(true);
      const day = parseProjectedDate(format, dt);
      expect(day, `dt=${dt} parses as ${format}`).toBeDefined();
      expect(days.has(day?.toISOString().slice(0, 10) ?? ""), `dt=${dt} is the day of the run`).toBe(true);
      expect((day?.getTime() ?? 0) >= (firstDay?.getTime() ?? Infinity), `dt=${dt} inside the projected range`).toBe(true);
      partitions.add(`${dt}/${instance}/${file}`);
    }
    expect(partitions.size).toBe(files.size);
  });

  it("holds every line once, as the table's line column would read it", () => {
    expect(linesInS3(world, "logs/")).toEqual(files);
  });

  it("gives example queries that bound dt and pin the injected instance and file", async () => {
    const queries = (await readSql("queries.sql")).split(";").map((q) => q.trim()).filter((q) => q !== "");
    expect(queries.length).toBeGreaterThanOrEqual(3);
    for (const query of queries) {
      expect(query).toMatch(/^SELECT\s[\s\S]+\sFROM ship_logs\s+WHERE\s/);
      expect(query).toMatch(/\bdt (=|BETWEEN) '\d{4}-\d\d-\d\d'/);
      expect(query).toMatch(/\binstance (= '[^']+'|IN \('[^)]+\))/);
      expect(query).toMatch(/\bfile (= '[^']+'|IN \('[^)]+\))/);
      for (const day of query.matchAll(/'(\d{4}-\d\d-\d\d)'/g)) expect(parseProjectedDate(table.properties.get("projection.dt.format") ?? "", day[1] ?? "")).toBeDefined();
    }
  });
});
