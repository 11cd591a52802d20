import { z } from "zod";
import { KeyTemplateError } from "../sink/KeyTemplateError.js";
import { parseKeyTemplate } from "../sink/parseKeyTemplate.js";

/**
 * The kinds of value an option can take. Each is one zod schema that accepts a
 * value from any source: a string from a flag or the environment, or whatever
 * JSON/YAML produced in the config file. A string is coerced exactly as the
 * same text would be read from YAML (`"0.5"` and `0.5` mean the same), so a
 * value means the same wherever it is written. Every issue message starts with
 * "expected", because the loader appends `, got <value>`.
 */

/** A JSON-style number; YAML also reads `.5`. */
const NUMBER_TEXT = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;
const BYTE_UNITS: Readonly<Record<string, number>> = { "": 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };
const BYTE_SIZE_TEXT = /^(-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(kib|mib|gib)?$/i;

function numberFromText(value: unknown): unknown {
  return typeof value === "string" && NUMBER_TEXT.test(value) ? Number(value) : value;
}

function byteSizeFromText(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const match = BYTE_SIZE_TEXT.exec(value);
  const multiplier = BYTE_UNITS[(match?.[2] ?? "").toLowerCase()];
  return match?.[1] === undefined || multiplier === undefined ? value : Number(match[1]) * multiplier;
}

function booleanFromText(value: unknown): unknown {
  if (typeof value === "string") {
    const word = value.toLowerCase();
    if (word === "true" || word === "1") return true;
    if (word === "false" || word === "0") return false;
  }
  if (value === 1 || value === 0) return value === 1;
  return value;
}

/** Any string, including the empty one (a key prefix). */
export function textValue() {
  return z.string({ error: "expected a string" });
}

/** A file-system path; NUL cannot be passed to the OS. */
export function pathValue() {
  const expected = { error: "expected a non-empty path" };
  return z.string(expected).min(1, expected).refine((path) => !path.includes("\0"), expected);
}

/** One glob (picomatch syntax). */
export function globValue() {
  const expected = { error: "expected a non-empty glob" };
  return z.string(expected).min(1, expected).refine((glob) => !glob.includes("\0"), expected);
}

/**
 * One of a fixed set of words. Returned with its metavar (`gzip|none`) so the
 * option table names the choices exactly once.
 */
export function choiceValue<const T extends readonly [string, ...string[]]>(choices: T) {
  return {
    metavar: choices.join("|"),
    value: z.enum(choices, { error: `expected one of ${choices.join(", ")}` }),
  } as const;
}

/**
 * A duration in seconds, fractions allowed, resolved to whole milliseconds.
 * The upper bound keeps it inside what setTimeout can wait (2^31-1 ms).
 */
export function secondsValue(maxSeconds: number) {
  const expected = { error: `expected a positive number of seconds (at most ${maxSeconds})` };
  return z.preprocess(
    numberFromText,
    z
      .number(expected)
      // Below a millisecond the duration would round to zero.
      .min(0.001, expected)
      .max(maxSeconds, expected)
      .transform((seconds) => Math.round(seconds * 1000)),
  );
}

export function integerValue(min: number, max: number) {
  const expected = { error: `expected a whole number from ${min} to ${max}` };
  return z.preprocess(numberFromText, z.number(expected).int(expected).min(min, expected).max(max, expected));
}

/** A byte count, optionally with a binary suffix (`8MiB`); the limits are rendered in the message as written. */
export function byteSizeValue(min: number, max: number, maxText: string) {
  const expected = { error: `expected a whole number of bytes from ${min} to ${maxText} (KiB, MiB, GiB suffixes allowed)` };
  return z.preprocess(byteSizeFromText, z.number(expected).int(expected).min(min, expected).max(max, expected));
}

/** On or off: a YAML boolean, or true/false/1/0 as text (any case). */
export function switchValue() {
  return z.preprocess(booleanFromText, z.boolean({ error: "expected true, false, 1 or 0" }));
}

/**
 * A signing region. Not only AWS's `us-east-1` shapes: S3-compatible stores use
 * names such as `auto` or `garage`, so only the character set is checked.
 */
export function regionValue() {
  const expected = { error: "expected a region name such as us-east-1 (letters, digits and hyphens)" };
  return z.string(expected).regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?$/, expected);
}

/** An http(s) endpoint; kept as written, because the S3 client joins paths onto it itself. */
export function httpUrlValue() {
  const expected = { error: "expected an http:// or https:// URL without user, query or fragment" };
  return z.string(expected).refine((text) => {
    const url = URL.parse(text);
    return (
      url !== null &&
      // The URL parser drops surrounding spaces and inner tabs/newlines; the SDK is given the text itself.
      !/\s/.test(text) &&
      (url.protocol === "http:" || url.protocol === "https:") &&
      url.username === "" &&
      url.password === "" &&
      url.search === "" &&
      url.hash === ""
    );
  }, expected);
}

/**
 * The instance metadata endpoint, resolved to its origin (`http://host[:port]`,
 * no trailing slash). IMDS is plain HTTP on a link-local address: an https
 * endpoint makes the SDK fail later with a misleading IMDSv1 error, and a path
 * would be joined into `//latest/...` requests, so both are refused here.
 */
export function imdsEndpointValue() {
  const expected = { error: "expected http://host[:port] with no path (IMDS is plain HTTP)" };
  return z
    .string(expected)
    .refine((text) => {
      const url = URL.parse(text);
      return (
        url !== null &&
        !/\s/.test(text) &&
        url.protocol === "http:" &&
        url.hostname !== "" &&
        url.username === "" &&
        url.password === "" &&
        url.pathname === "/" &&
        url.search === "" &&
        url.hash === "" &&
        // A bare "?" or "#" leaves search/hash empty but is not "no path" either.
        !/[?#]/.test(text)
      );
    }, expected)
    .transform((text) => new URL(text).origin);
}

/** A 12-digit AWS account id (S3's ExpectedBucketOwner). */
export function accountIdValue() {
  const expected = { error: "expected a 12-digit AWS account id" };
  return z.preprocess((value) => (typeof value === "number" ? String(value) : value), z.string(expected).regex(/^\d{12}$/, expected));
}

/** `HOST:PORT` to listen on, e.g. 127.0.0.1:9464 or [::1]:9464. */
export function listenAddressValue() {
  const expected = { error: "expected HOST:PORT, e.g. 127.0.0.1:9464" };
  return z.string(expected).refine((text) => {
    if (/[\s/@?#]/.test(text)) return false;
    const url = URL.parse(`http://${text}`);
    return url !== null && url.hostname !== "" && url.port !== "";
  }, expected);
}

/** A `--key-template`, checked here so that a template keys cannot use is a configuration error (exit 2). */
export function keyTemplateValue() {
  return z.string({ error: "expected a key template such as {prefix}{instance}/{yyyy}-{mm}-{dd}/{file}" }).superRefine((text, context) => {
    try {
      parseKeyTemplate(text);
    } catch (error) {
      if (!(error instanceof KeyTemplateError)) throw error;
      context.addIssue({ code: "custom", message: error.message });
    }
  });
}
