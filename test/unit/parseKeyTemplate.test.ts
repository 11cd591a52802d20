import { describe, expect, it } from "vitest";
import { KEY_LAYOUTS } from "../../src/sink/keyLayouts.js";
import { KeyTemplateError } from "../../src/sink/KeyTemplateError.js";
import { parseKeyTemplate } from "../../src/sink/parseKeyTemplate.js";

describe("parseKeyTemplate", () => {
  it("splits text and tokens and lists the tokens used", () => {
    const template = parseKeyTemplate("{prefix}acct={account}/{instance}-{hh}");
    expect(template.parts).toEqual([
      { kind: "token", token: "prefix" },
      { kind: "text", text: "acct=" },
      { kind: "token", token: "account" },
      { kind: "text", text: "/" },
      { kind: "token", token: "instance" },
      { kind: "text", text: "-" },
      { kind: "token", token: "hh" },
    ]);
    expect([...template.tokens].sort()).toEqual(["account", "hh", "instance", "prefix"]);
  });

  it.each(Object.entries(KEY_LAYOUTS))("accepts the %s layout", (_, text) => {
    expect(parseKeyTemplate(text).text).toBe(text);
  });

  it.each([
    "{prefix}{hostname}",
    "{prefix}{instance}",
    "{prefix}/{instance}/{file}",
    "{prefix}{region}/{account}/{instance}/{yyyy}/{mm}/{dd}/{hh}/{file}",
    "{prefix}logs.v2/{hostname}.{instance}",
  ])("accepts %s", (text) => {
    expect(() => parseKeyTemplate(text)).not.toThrow();
  });

  it.each([
    ["{prefix}{yyyy}/{file}", "expected {instance} or {hostname} in the template, so that hosts of a fleet never share a key"],
    ["{instance}/{file}", "expected {prefix} at the start of the template and nowhere else, so that keys stay under --prefix"],
    ["x/{prefix}{instance}", "expected {prefix} at the start of the template and nowhere else, so that keys stay under --prefix"],
    ["{prefix}{instance}/{prefix}", "expected {prefix} at the start of the template and nowhere else, so that keys stay under --prefix"],
    ["", "expected {prefix} at the start of the template and nowhere else, so that keys stay under --prefix"],
    ["{prefix}{instance}/{host}", "expected only the tokens {prefix} {instance} {region} {account} {hostname} {file} {yyyy} {mm} {dd} {hh}; {host} is not one"],
    ["{prefix}{instance}/{Instance}", "expected only the tokens {prefix} {instance} {region} {account} {hostname} {file} {yyyy} {mm} {dd} {hh}; {Instance} is not one"],
    ["{prefix}{instance}/{}", "expected only the tokens {prefix} {instance} {region} {account} {hostname} {file} {yyyy} {mm} {dd} {hh}; {} is not one"],
    ["{prefix}{instance}/{file", 'expected "{" and "}" only around a token ({prefix} {instance} {region} {account} {hostname} {file} {yyyy} {mm} {dd} {hh})'],
    ["{prefix}{instance}}", 'expected "{" and "}" only around a token ({prefix} {instance} {region} {account} {hostname} {file} {yyyy} {mm} {dd} {hh})'],
    ["{prefix}{{instance}}", 'expected "{" and "}" only around a token ({prefix} {instance} {region} {account} {hostname} {file} {yyyy} {mm} {dd} {hh})'],
    ["{prefix}{instance}/", 'expected no empty, "." or ".." path segments and no trailing "/" (the shipper appends /<name>)'],
    ["{prefix}{instance}//{file}", 'expected no empty, "." or ".." path segments and no trailing "/" (the shipper appends /<name>)'],
    ["{prefix}{instance}/../{file}", 'expected no empty, "." or ".." path segments and no trailing "/" (the shipper appends /<name>)'],
    ["{prefix}./{instance}", 'expected no empty, "." or ".." path segments and no trailing "/" (the shipper appends /<name>)'],
    ["{prefix}{instance}\\{file}", 'expected no "\\" or control characters in the template'],
    ["{prefix}{instance}\n", 'expected no "\\" or control characters in the template'],
    ["{prefix}{instance}\u0085", 'expected no "\\" or control characters in the template'],
  ])("refuses %j", (text, reason) => {
    expect(() => parseKeyTemplate(text)).toThrow(new KeyTemplateError(reason));
  });
});
