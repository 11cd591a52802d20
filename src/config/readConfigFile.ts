import { extname } from "node:path";
import { errorMessage } from "../log/errorMessage.js";
import { ConfigError } from "./ConfigError.js";
import { printable } from "./quote.js";

/** Reads a whole file as UTF-8 text; injectable so tests need not touch the disk. */
export type ReadTextFile = (path: string) => Promise<string>;

/**
 * The config file as a plain object of keys to values, unvalidated. `.json` is
 * parsed as JSON; anything else as YAML (a superset of JSON), so a file named
 * `ship-logs.conf` holding either works. An empty file is an empty config.
 */
export async function readConfigFile(path: string, readTextFile: ReadTextFile): Promise<Record<string, unknown>> {
  const where = `config file ${printable(path)}`;
  let text: string;
  try {
    text = await readTextFile(path);
  } catch (error) {
    throw new ConfigError(`${where}: cannot read: ${reasonOf(error)}`, path, { cause: error });
  }
  let content: unknown;
  try {
    content = extname(path).toLowerCase() === ".json" ? await parseJson(text) : await parseYaml(text);
  } catch (error) {
    throw new ConfigError(`${where}: cannot parse: ${reasonOf(error)}`, path, { cause: error });
  }
  if (content === null || content === undefined) return {};
  if (typeof content !== "object" || Array.isArray(content)) {
    throw new ConfigError(
      `${where}: expected a mapping of option keys to values, got ${Array.isArray(content) ? "a list" : `a ${typeof content}`}`,
      path,
    );
  }
  return content as Record<string, unknown>;
}

/**
 * JSON.parse, after dropping a byte-order mark (invisible in editors, fatal
 * to JSON.parse). It keeps the last of duplicate keys without a word; a
 * config must mean exactly one thing, so duplicates are an error, as in YAML.
 * JSON is YAML too: the YAML parser finds them.
 */
async function parseJson(text: string): Promise<unknown> {
  const json = text.replace(/^\uFEFF/, "");
  let content: unknown;
  try {
    content = JSON.parse(json) as unknown;
  } catch (error) {
    // V8 quotes the text around the error (`Unexpected token 'h', "{"endpoint":
    // http://user:pass@…" is not valid JSON`), which may hold a secret: the
    // message keeps where, not what.
    throw new SyntaxError(errorMessage(error).replace(/, (?:\.\.\.)?"[\s\S]*"(?:\.\.\.)? is not valid JSON$/, " is not valid JSON"));
  }
  const { parseDocument } = await import("yaml");
  const duplicate = parseDocument(json, { prettyErrors: false, logLevel: "silent" }).errors.find((error) => error.code === "DUPLICATE_KEY");
  if (duplicate !== undefined) throw duplicate;
  return content;
}

/** The YAML parser loads only for a YAML file: most runs have flags and no file. */
async function parseYaml(text: string): Promise<unknown> {
  const { parseDocument } = await import("yaml");
  // Warnings (an unknown tag, say) are errors here: a config must mean exactly
  // one thing. Log level "error" keeps the library from printing them itself;
  // "silent" would also drop the "multiple documents" error.
  const document = parseDocument(text, { prettyErrors: false, logLevel: "error" });
  const [problem] = [...document.errors, ...document.warnings];
  // The library's own wording asks the reader to call another of its functions.
  if (problem?.code === "MULTIPLE_DOCS") throw new Error("it holds several YAML documents (separated by ---); keep one");
  if (problem !== undefined) throw problem;
  // toJS throws on alias bombs ("excessive alias count"), caught by the caller.
  return document.toJS() as unknown;
}

/** The first line of a reason: library messages may append a source excerpt. */
function reasonOf(error: unknown): string {
  const message = errorMessage(error);
  return message.split("\n", 1)[0]?.replace(/:$/, "") ?? "";
}
