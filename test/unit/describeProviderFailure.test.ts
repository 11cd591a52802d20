import { describe, expect, it } from "vitest";
import { describeProviderFailure } from "../../src/credentials/describeProviderFailure.js";

const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

describe("describeProviderFailure", () => {
  it("never repeats what JSON.parse quotes of a credentials document", () => {
    let error: unknown;
    try {
      JSON.parse(`{"SecretAccessKey":${SECRET}}`);
    } catch (caught) {
      error = caught;
    }
    expect(String(error)).toContain("wJalr"); // what makes the message dangerous
    expect(describeProviderFailure(error)).toBe("SyntaxError: a credentials document is not valid JSON");
  });

  it("keeps the SDK's own message up to its first quote, and a Node error's code", () => {
    const sdk = Object.assign(new Error(`Failed to refresh token: Error: "${SECRET}"`), { name: "CredentialsProviderError" });
    expect(describeProviderFailure(sdk)).toBe("CredentialsProviderError: Failed to refresh token: Error:");
    const socket = Object.assign(new Error(`connect ECONNREFUSED 127.0.0.1:1 ${SECRET}`), { code: "ECONNREFUSED" });
    expect(describeProviderFailure(socket)).toBe("Error ECONNREFUSED");
  });
});
