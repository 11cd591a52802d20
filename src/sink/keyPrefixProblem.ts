import { UNSAFE_KEY_TEXT } from "./unsafeKeyText.js";

/**
 * What is wrong with a `--prefix`, as a reason that starts with "expected",
 * or undefined. The same rules as a key template's text: S3 takes any key,
 * but "\", control characters and empty, "." or ".." segments (a leading
 * "/", "//", "../") trip the tools that map keys to paths, Athena's LOCATION
 * included. The part after the last "/" is glued to what the template puts
 * next, so it may be anything else, empty included ("logs/").
 */
export function keyPrefixProblem(prefix: string): string | undefined {
  if (UNSAFE_KEY_TEXT.test(prefix)) return 'expected no "\\" or control characters: they would be in every key';
  const segments = prefix.split("/").slice(0, -1);
  if (segments.some((segment) => segment === "" || segment === "." || segment === "..")) {
    return 'expected no empty, "." or ".." path segments (no leading "/", no "//")';
  }
  return undefined;
}
