import { describe, expect, it } from "vitest";
import { sdkMessage } from "../../src/credentials/sdkLogger.js";

describe("sdkMessage: what of an SDK log message reaches the journal", () => {
  it("keeps the first line only: a failing credential_process's stderr follows Node's \"Command failed\"", () => {
    expect(sdkMessage('@smithy/property-provider -> Command failed: /usr/local/bin/helper\n{"SecretAccessKey":"s3cret"}')).toBe(
      "@smithy/property-provider -> Command failed: /usr/local/bin/helper",
    );
    expect(sdkMessage("first\u2028second")).toBe("first");
  });

  it("hides a URL's user and password anywhere in the line, also one holding \"/\" or \"@\"", () => {
    expect(sdkMessage("@smithy/core/endpoints - resolved endpoint from config: http://user:pa/ss@word@127.0.0.1:9000/x and more")).toBe(
      "@smithy/core/endpoints - resolved endpoint from config: http://<user and password hidden>@127.0.0.1:9000/x and more",
    );
    expect(sdkMessage("endpoint https://s3.example.com/bucket")).toBe("endpoint https://s3.example.com/bucket");
  });

  it("cuts a long message", () => {
    expect(sdkMessage("x".repeat(1000))).toBe(`${"x".repeat(300)}…`);
  });
});
