import { describe, expect, it } from "vitest";
import { splitList } from "../../src/config/splitList.js";

describe("splitList (the environment form of a repeatable option)", () => {
  it.each([
    ["/var/log/a.log", ["/var/log/a.log"]],
    ["/a,/b", ["/a", "/b"]],
    ["/a, /b ,", ["/a", "/b"]],
    ["/a\n  /b\n\n", ["/a", "/b"]],
    ["/var/log/{syslog,auth.log},/x/*.log", ["/var/log/{syslog,auth.log}", "/x/*.log"]],
    ["/a/{b,{c,d}}/*.log", ["/a/{b,{c,d}}/*.log"]],
    ["/a\\,b.log,/c", ["/a\\,b.log", "/c"]],
    ["/a/[,]b", ["/a/[,]b"]],
    // An unbalanced brace does not swallow the next line.
    ["/a/{b\n/c", ["/a/{b", "/c"]],
    [", ,\n", []],
    // An unclosed "[" or "{" is a plain character (as picomatch reads it): it does not swallow the commas after it.
    ["/d/a[1.log,/d/b.log", ["/d/a[1.log", "/d/b.log"]],
    ["/d/a{1.log,/d/b.log", ["/d/a{1.log", "/d/b.log"]],
    ["/d/{x,y}/a[1.log,/d/b.log", ["/d/{x,y}/a[1.log", "/d/b.log"]],
    ["/d/a{1,/d/{x,y}.log,/c", ["/d/a{1", "/d/{x,y}.log", "/c"]],
    ["/d/{a,{b,c}.log,/e", ["/d/{a", "{b,c}.log", "/e"]],
    ["/d/[a,b].log,/d/a[1.log,/e", ["/d/[a,b].log", "/d/a[1.log", "/e"]],
    ["/d/a\\[1,b].log,/e", ["/d/a\\[1", "b].log", "/e"]],
  ])("splits %j", (text, items) => {
    expect(splitList(text)).toEqual(items);
  });
});
