import { describe, expect, it } from "vitest";
import { FatalError } from "../../src/errors/FatalError.js";
import { resolveKeyValues } from "../../src/instance/resolveKeyValues.js";
import type { InstanceMetadata } from "../../src/credentials/instanceMetadata.js";
import { KEY_LAYOUTS } from "../../src/sink/keyLayouts.js";
import { parseKeyTemplate } from "../../src/sink/parseKeyTemplate.js";

const DOCUMENT = JSON.stringify({ accountId: "210987654321", region: "ap-south-1", instanceId: "i-0feed" });

/** Metadata that answers from a table and records every path asked for. */
function metadata(answers: Record<string, string | Error>): InstanceMetadata & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    get: async (path) => {
      asked.push(path);
      const answer = answers[path];
      if (answer === undefined || answer instanceof Error) throw answer ?? Object.assign(new Error("not found"), { statusCode: 404 });
      return answer;
    },
  };
}

function resolve(template: string, source: InstanceMetadata, regionFromImds = true) {
  return resolveKeyValues({
    template: parseKeyTemplate(template),
    identity: { instanceId: "i-0feed", region: regionFromImds ? "ap-south-1" : "us-east-1" },
    regionFromImds,
    metadata: source,
    imdsEndpoint: "http://127.0.0.1:1",
    hostname: () => "web-01",
  });
}

describe("resolveKeyValues", () => {
  it.each(Object.entries(KEY_LAYOUTS))("asks IMDS nothing more for the %s layout", async (_, template) => {
    const source = metadata({});
    expect(await resolve(template, source)).toEqual({ instance: "i-0feed" });
    expect(source.asked).toEqual([]);
  });

  it("reads the account id from the identity document only when the template uses {account}", async () => {
    const source = metadata({ "dynamic/instance-identity/document": DOCUMENT });
    expect(await resolve("{prefix}{account}/{hostname}", source)).toEqual({ account: "210987654321", hostname: "web-01" });
    expect(source.asked).toEqual(["dynamic/instance-identity/document"]);
  });

  it("takes {region} from the identity when it came from IMDS, else asks placement/region (--region is the bucket's)", async () => {
    const fromIdentity = metadata({});
    expect(await resolve("{prefix}{region}/{instance}", fromIdentity)).toEqual({ instance: "i-0feed", region: "ap-south-1" });
    expect(fromIdentity.asked).toEqual([]);
    const asked = metadata({ "meta-data/placement/region": "ap-south-1" });
    expect(await resolve("{prefix}{region}/{instance}", asked, false)).toEqual({ instance: "i-0feed", region: "ap-south-1" });
    expect(asked.asked).toEqual(["meta-data/placement/region"]);
  });

  it.each([
    [{ "dynamic/instance-identity/document": "<html>" }, "the key template uses {account}, but the instance identity document cannot be read: not JSON"],
    [{ "dynamic/instance-identity/document": "{}" }, "the key template uses {account}, but the instance identity document holds no 12-digit accountId"],
    [{}, /^the key template uses \{account\}, but the instance identity document cannot be read: /],
  ])("fails with one line when the account id cannot be had (%j)", async (answers, message) => {
    const failure = resolve("{prefix}{account}/{instance}", metadata(answers));
    await expect(failure).rejects.toThrow(FatalError);
    await expect(failure).rejects.toThrow(message);
  });

  it("fails with one line when {region} is used and placement/region cannot be read", async () => {
    await expect(resolve("{prefix}{region}/{instance}", metadata({}), false)).rejects.toThrow(
      /^the key template uses \{region\}, but IMDS placement\/region cannot be read: /,
    );
  });
});
