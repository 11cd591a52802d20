import { parseListenAddress } from "../metrics/parseListenAddress.js";
import { KeyTemplateError } from "../sink/KeyTemplateError.js";
import { keyPrefixProblem } from "../sink/keyPrefixProblem.js";
import { parseKeyTemplate } from "../sink/parseKeyTemplate.js";
import type { ValueSchema } from "./ValueSchema.js";

/**
 * The kinds of value an option can take. Each is one schema that accepts a
 * value from any source: a string from a flag or the environment, or whatever
 * JSON/YAML produced in the config file. A string is coerced exactly as the
 * same text would be read from YAML (`"0.5"` and `0.5` mean the same), so a
 * value means the same wherever it is written. Every message starts with
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

/** Finite: `1e309` reads as Infinity, which is no count of anything. */
function isNumberIn(value: unknown, min: number, max: number): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= min && value <= max;
}

function isWholeNumberIn(value: unknown, min: number, max: number): value is number {
  return isNumberIn(value, min, max) && Number.isInteger(value);
}

/**
 * A kind of value with one message for every way a value can be wrong: `read`
 * gives the value as ship-logs uses it, or undefined to refuse the input.
 */
function valueKind<T extends string | number | boolean>(expected: string, read: (input: unknown) => T | undefined): ValueSchema<T> {
  return {
    parse(input) {
      const value = read(input);
      return value === undefined ? { ok: false, message: expected } : { ok: true, value };
    },
  };
}

/**
 * What a text option says of a number or true/false, which only a config
 * file can give: YAML reads `bucket: 123456` or `prefix: 2024` as a number.
 * Not converted back: `0123` would come back as "123", `1e3` as "1000".
 */
const TYPED_NOT_TEXT = "expected quoted text";

function isTypedScalar(input: unknown): boolean {
  return typeof input === "number" || typeof input === "boolean";
}

/** Text that passes `test`, kept as written. */
function textKind(expected: string, test: (text: string) => boolean): ValueSchema<string> {
  const text = valueKind(expected, (input) => (typeof input === "string" && test(input) ? input : undefined));
  return { parse: (input) => (isTypedScalar(input) ? { ok: false, message: TYPED_NOT_TEXT } : text.parse(input)) };
}

/**
 * Text kept as written, with two messages: `notText` for a value that is not
 * a string, and whatever `problemOf` names for one that is (undefined: none).
 */
export function checkedText(notText: string, problemOf: (text: string) => string | undefined): ValueSchema<string> {
  return {
    parse(input) {
      if (typeof input !== "string") return { ok: false, message: isTypedScalar(input) ? TYPED_NOT_TEXT : notText };
      const problem = problemOf(input);
      return problem === undefined ? { ok: true, value: input } : { ok: false, message: problem };
    },
  };
}

/** A key prefix: the text every key starts with (keyPrefixProblem says what it may not hold). */
export function keyPrefixValue(): ValueSchema<string> {
  return checkedText("expected a string", keyPrefixProblem);
}

/**
 * A KMS key id, alias or ARN: printable ASCII without spaces, as every form
 * of them is. KMS checks the rest; but the value goes into a header, and a
 * control character (a stray CR from a file written on Windows) would fail
 * every upload at the HTTP layer instead of at start.
 */
export function kmsKeyIdValue(): ValueSchema<string> {
  return checkedText("expected a string", (text) =>
    /^[\x21-\x7e]+$/.test(text) ? undefined : "expected a KMS key id, alias or ARN (printable ASCII, no spaces)",
  );
}

/** A file-system path; NUL cannot be passed to the OS. */
export function pathValue(): ValueSchema<string> {
  return textKind("expected a non-empty path", (path) => path !== "" && !path.includes("\0"));
}

/** One glob (picomatch syntax). */
export function globValue(): ValueSchema<string> {
  return textKind("expected a non-empty glob", (glob) => glob !== "" && !glob.includes("\0"));
}

/**
 * One of a fixed set of words. Returned with its metavar (`gzip|none`) so the
 * option table names the choices exactly once.
 */
export function choiceValue<const T extends readonly [string, ...string[]]>(choices: T) {
  const words: readonly unknown[] = choices;
  const isChoice = (input: unknown): input is T[number] => words.includes(input);
  return {
    metavar: choices.join("|"),
    value: valueKind(`expected one of ${choices.join(", ")}`, (input) => (isChoice(input) ? input : undefined)),
  } as const;
}

/**
 * A duration in seconds, fractions allowed, resolved to whole milliseconds.
 * The upper bound keeps it inside what setTimeout can wait (2^31-1 ms).
 */
export function secondsValue(maxSeconds: number): ValueSchema<number> {
  return valueKind(`expected a positive number of seconds (at most ${maxSeconds})`, (input) => {
    const seconds = numberFromText(input);
    // Below a millisecond the duration would round to zero.
    return isNumberIn(seconds, 0.001, maxSeconds) ? Math.round(seconds * 1000) : undefined;
  });
}

export function integerValue(min: number, max: number): ValueSchema<number> {
  return valueKind(`expected a whole number from ${min} to ${max}`, (input) => {
    const value = numberFromText(input);
    return isWholeNumberIn(value, min, max) ? value : undefined;
  });
}

/** A byte count, optionally with a binary suffix (`8MiB`); the limits are rendered in the message as written. */
export function byteSizeValue(min: number, max: number, maxText: string): ValueSchema<number> {
  return valueKind(`expected a whole number of bytes from ${min} to ${maxText} (KiB, MiB, GiB suffixes allowed)`, (input) => {
    const bytes = byteSizeFromText(input);
    return isWholeNumberIn(bytes, min, max) ? bytes : undefined;
  });
}

/** On or off: a YAML boolean, or true/false/1/0 as text (any case). */
export function switchValue(): ValueSchema<boolean> {
  return valueKind("expected true, false, 1 or 0", (input) => {
    const on = booleanFromText(input);
    return typeof on === "boolean" ? on : undefined;
  });
}

/**
 * A signing region. Not only AWS's `us-east-1` shapes: S3-compatible stores use
 * names such as `auto` or `garage`, so only the character set is checked.
 */
export function regionValue(): ValueSchema<string> {
  return textKind("expected a region name such as us-east-1 (letters, digits and hyphens)", (text) =>
    /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?$/.test(text),
  );
}

/** An http(s) endpoint; kept as written, because the S3 client joins paths onto it itself. */
export function httpUrlValue(): ValueSchema<string> {
  return textKind("expected an http:// or https:// URL without user, query or fragment", (text) => {
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
  });
}

/**
 * The instance metadata endpoint, resolved to its origin (`http://host[:port]`,
 * no trailing slash). IMDS is plain HTTP on a link-local address: an https
 * endpoint makes the SDK fail later with a misleading IMDSv1 error, and a path
 * would be joined into `//latest/...` requests, so both are refused here.
 */
export function imdsEndpointValue(): ValueSchema<string> {
  return valueKind("expected http://host[:port] with no path (IMDS is plain HTTP)", (input) => {
    if (typeof input !== "string") return undefined;
    const url = URL.parse(input);
    const isOrigin =
      url !== null &&
      !/\s/.test(input) &&
      url.protocol === "http:" &&
      url.hostname !== "" &&
      url.username === "" &&
      url.password === "" &&
      url.pathname === "/" &&
      url.search === "" &&
      url.hash === "" &&
      // A bare "?" or "#" leaves search/hash empty but is not "no path" either.
      !/[?#]/.test(input);
    return isOrigin ? url.origin : undefined;
  });
}

/** A 12-digit AWS account id (S3's ExpectedBucketOwner); YAML reads an unquoted one as a number. */
export function accountIdValue(): ValueSchema<string> {
  return valueKind("expected a 12-digit AWS account id (quoted in YAML: unquoted, a leading 0 is lost)", (input) => {
    const text = typeof input === "number" ? String(input) : input;
    return typeof text === "string" && /^\d{12}$/.test(text) ? text : undefined;
  });
}

/** `HOST:PORT` to listen on, e.g. 127.0.0.1:9464 or [::1]:9464. */
export function listenAddressValue(): ValueSchema<string> {
  return textKind("expected HOST:PORT with a port from 1 to 65535, e.g. 127.0.0.1:9464", (text) => parseListenAddress(text) !== undefined);
}

/** A `--key-template`, checked here so that a template keys cannot use is a configuration error (exit 2). */
export function keyTemplateValue(): ValueSchema<string> {
  return checkedText("expected a key template such as {prefix}{instance}/{yyyy}-{mm}-{dd}/{file}", (text) => {
    try {
      parseKeyTemplate(text);
      return undefined;
    } catch (error) {
      if (!(error instanceof KeyTemplateError)) throw error;
      return error.message;
    }
  });
}
