import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderOptionsMarkdown } from "../support/renderOptionsMarkdown.js";

const README = new URL("../../README.md", import.meta.url);
const SECTION = /<!-- options:start -->\n([\s\S]*?)<!-- options:end -->/;

describe("README options table", () => {
  it("is the table rendered from the one option schema (UPDATE_README=1 rewrites it)", () => {
    const readme = readFileSync(README, "utf8");
    const expected = renderOptionsMarkdown().trimEnd();
    if (process.env.UPDATE_README === "1") {
      writeFileSync(README, readme.replace(SECTION, `<!-- options:start -->\n${expected}\n<!-- options:end -->`));
      return;
    }
    expect(SECTION.exec(readme)?.[1]?.trimEnd()).toBe(expected);
  });
});
