import { KEY_TOKENS, type KeyTemplate, type KeyTemplatePart, type KeyToken } from "./KeyTemplate.js";
import { KeyTemplateError } from "./KeyTemplateError.js";
import { UNSAFE_KEY_TEXT } from "./unsafeKeyText.js";

const TOKEN_LIST = KEY_TOKENS.map((token) => `{${token}}`).join(" ");

function isKeyToken(name: string): name is KeyToken {
  return (KEY_TOKENS as readonly string[]).includes(name);
}

function parts(text: string): KeyTemplatePart[] {
  const found: KeyTemplatePart[] = [];
  let at = 0;
  for (const match of text.matchAll(/\{([^{}]*)\}|[{}]/g)) {
    const name = match[1];
    if (name === undefined) throw new KeyTemplateError(`expected "{" and "}" only around a token (${TOKEN_LIST})`);
    if (!isKeyToken(name)) throw new KeyTemplateError(`expected only the tokens ${TOKEN_LIST}; {${name}} is not one`);
    if (match.index > at) found.push({ kind: "text", text: text.slice(at, match.index) });
    found.push({ kind: "token", token: name });
    at = match.index + match[0].length;
  }
  if (at < text.length) found.push({ kind: "text", text: text.slice(at) });
  return found;
}

/**
 * Reads a `--key-template`. Refuses, with a reason that starts with
 * "expected", what would make keys unsafe:
 * - no `{instance}` or `{hostname}`: hosts of a fleet must write apart;
 * - not starting with `{prefix}`: keys must stay under `--prefix`, the part
 *   of the bucket the instance role may write (docs/iam) and `ship-logs check` probes;
 * - unknown tokens and stray braces: a typo would otherwise land in every key;
 * - empty, "." or ".." segments, a trailing "/", "\" and control characters:
 *   S3 takes them, but tools that map keys to paths do not.
 */
export function parseKeyTemplate(text: string): KeyTemplate {
  const parsed = parts(text);
  const tokens = new Set(parsed.flatMap((part) => (part.kind === "token" ? [part.token] : [])));
  const first = parsed[0];
  const prefixes = parsed.filter((part) => part.kind === "token" && part.token === "prefix").length;
  if (first?.kind !== "token" || first.token !== "prefix" || prefixes > 1) {
    throw new KeyTemplateError("expected {prefix} at the start of the template and nowhere else, so that keys stay under --prefix");
  }
  if (!tokens.has("instance") && !tokens.has("hostname")) {
    throw new KeyTemplateError("expected {instance} or {hostname} in the template, so that hosts of a fleet never share a key");
  }
  const literal = parsed.map((part) => (part.kind === "text" ? part.text : "")).join("");
  if (UNSAFE_KEY_TEXT.test(literal)) throw new KeyTemplateError('expected no "\\" or control characters in the template');
  // Token values never add a "/" (objectKey), so the segments are those of the text around them. The
  // prefix is the operator's, with or without its own trailing "/": the first segment may be empty.
  const shape = parsed.map((part) => (part.kind === "text" ? part.text : part.token === "prefix" ? "" : "x")).join("");
  const segments = shape.split("/");
  if (segments.some((segment, index) => (segment === "" && index > 0) || segment === "." || segment === "..")) {
    throw new KeyTemplateError('expected no empty, "." or ".." path segments and no trailing "/" (the shipper appends /<name>)');
  }
  return { text, parts: parsed, tokens };
}
