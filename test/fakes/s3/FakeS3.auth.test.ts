import { PutObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, test } from "vitest";
import { issuedCredential, rejectionOf, s3ClientFor, startFake } from "./fixtures.js";
import { errorCode, sendSigned } from "./sendSigned.js";

const put = (key = "k") => new PutObjectCommand({ Bucket: "logs", Key: key, Body: Buffer.from("line\n") });

describe("authentication with the real S3Client", () => {
  test("wrong secret: SignatureDoesNotMatch 403, not retried", async () => {
    const { fake, cred } = await startFake();
    const error = await rejectionOf(s3ClientFor(fake, { ...cred, secretAccessKey: "wrong" }).send(put()));
    expect(error.name).toBe("SignatureDoesNotMatch");
    expect(error.$metadata).toMatchObject({ httpStatusCode: 403, attempts: 1 });
    expect(fake.getObject("logs", "k")).toBeUndefined();
  });

  test("unknown access key: InvalidAccessKeyId 403", async () => {
    const { fake } = await startFake();
    const error = await rejectionOf(s3ClientFor(fake, issuedCredential()).send(put()));
    expect(error.name).toBe("InvalidAccessKeyId");
    expect(error.$metadata.httpStatusCode).toBe(403);
  });

  test("revoked key: InvalidAccessKeyId 403, as S3 says for a deleted key", async () => {
    const { fake, cred } = await startFake();
    const s3 = s3ClientFor(fake, cred);
    await s3.send(put("before"));
    cred.revoked = true;
    const error = await rejectionOf(s3.send(put("after")));
    expect(error.name).toBe("InvalidAccessKeyId");
    expect(fake.listObjects("logs").map((o) => o.key)).toEqual(["before"]);
  });

  test("expired credential: ExpiredToken 400 'The provided token has expired.'", async () => {
    const { fake, cred } = await startFake();
    cred.expiration = new Date(Date.now() - 1000);
    const error = await rejectionOf(s3ClientFor(fake, cred).send(put()));
    expect(error.name).toBe("ExpiredToken");
    expect(error.message).toBe("The provided token has expired.");
    expect(error.$metadata).toMatchObject({ httpStatusCode: 400, attempts: 1 });
  });

  test("expiry is judged on the server clock (`now`): expired from Expiration on", async () => {
    let serverNow = Date.now();
    const { fake, cred } = await startFake({ now: () => serverNow });
    const list = () => sendSigned(fake, cred, { method: "GET", path: "/logs", query: { "list-type": "2" }, signingDate: serverNow });
    serverNow = cred.expiration.getTime() - 1;
    expect((await list()).status).toBe(200);
    serverNow = cred.expiration.getTime();
    expect(errorCode(await list())).toBe("ExpiredToken");
  });

  test("wrong or missing session token: InvalidToken 400", async () => {
    const { fake, cred } = await startFake();
    const wrong = await rejectionOf(s3ClientFor(fake, { ...cred, sessionToken: "not-the-token" }).send(put()));
    expect(wrong.name).toBe("InvalidToken");
    expect(wrong.$metadata.httpStatusCode).toBe(400);
    const missing = await rejectionOf(s3ClientFor(fake, { ...cred, sessionToken: "" }).send(put()));
    expect(missing.name).toBe("InvalidToken");
  });

  test("long-term keys (empty issued token) work without a token and refuse one", async () => {
    const { fake, cred } = await startFake();
    cred.sessionToken = "";
    await s3ClientFor(fake, cred).send(put());
    const error = await rejectionOf(s3ClientFor(fake, { ...cred, sessionToken: "surprise" }).send(put()));
    expect(error.name).toBe("InvalidToken");
  });

  test("server clock 20 min ahead: RequestTimeTooSkewed, then the SDK corrects its clock from Date and succeeds", async () => {
    const aheadMs = 20 * 60_000;
    const { fake, cred } = await startFake({ now: () => Date.now() + aheadMs });
    const s3 = s3ClientFor(fake, cred);

    const out = await s3.send(put());

    // What happens: one 403 RequestTimeTooSkewed, the SDK adopts the server's Date header
    // (systemClockOffset ≈ +20 min) and its retry is signed at server time.
    expect(out.$metadata.attempts).toBe(2);
    expect(fake.requests.map((r) => [r.status, r.errorCode])).toEqual([
      [403, "RequestTimeTooSkewed"],
      [200, undefined],
    ]);
    expect(Math.abs(s3.config.systemClockOffset - aheadMs)).toBeLessThan(5_000);
    expect(fake.getObject("logs", "k")?.putCount).toBe(1);
  });

  test("skew without a retry surfaces RequestTimeTooSkewed with RequestTime and ServerTime", async () => {
    const { fake, cred } = await startFake({ now: () => Date.now() + 20 * 60_000 });
    const response = await sendSigned(fake, cred, { method: "PUT", path: "/logs/k", body: Buffer.from("x") });
    expect(response.status).toBe(403);
    expect(errorCode(response)).toBe("RequestTimeTooSkewed");
    expect(response.body).toMatch(/<RequestTime>\d{8}T\d{6}Z<\/RequestTime><ServerTime>[^<]+Z<\/ServerTime>/);
    // The Date header carries the server clock, not the host's.
    expect(Date.parse(String(response.headers["date"])) - Date.now()).toBeGreaterThan(19 * 60_000);
  });

  test("a signature scoped to another region: AuthorizationHeaderMalformed 400 naming the expected region", async () => {
    const { fake, cred } = await startFake({ region: "eu-west-1" });
    const error = await rejectionOf(s3ClientFor(fake, cred).send(put()));
    expect(error.name).toBe("AuthorizationHeaderMalformed");
    expect(error.$metadata.httpStatusCode).toBe(400);
    await s3ClientFor(fake, cred, { region: "eu-west-1" }).send(put());
  });
});

describe("authentication on the wire", () => {
  test("no Authorization header: AccessDenied 403 with S3 error XML, x-amz-request-id and Date", async () => {
    const { fake, cred } = await startFake();
    const response = await sendSigned(fake, cred, { method: "PUT", path: "/logs/k", body: Buffer.from("x"), anonymous: true });
    expect(response.status).toBe(403);
    expect(response.headers["content-type"]).toBe("application/xml");
    expect(response.body).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>AccessDenied<\/Code><Message>Access Denied<\/Message><RequestId>([0-9A-F]{16})<\/RequestId><HostId>[^<]+<\/HostId><\/Error>$/,
    );
    expect(response.body).toContain(`<RequestId>${String(response.headers["x-amz-request-id"])}</RequestId>`);
    expect(Math.abs(Date.parse(String(response.headers["date"])) - Date.now())).toBeLessThan(5_000);
    expect(fake.rejected("AccessDenied")).toMatchObject([{ method: "PUT", bucket: "logs", key: "k", status: 403 }]);
  });

  test("x-amz-* headers outside the signature are refused (AccessDenied)", async () => {
    const { fake, cred } = await startFake();
    const response = await sendSigned(fake, cred, {
      method: "PUT",
      path: "/logs/k",
      body: Buffer.from("x"),
      unsignedHeaders: { "x-amz-meta-owner": "mallory" },
    });
    expect(response.status).toBe(403);
    expect(errorCode(response)).toBe("AccessDenied");
    expect(response.body).toContain("<HeadersNotSigned>x-amz-meta-owner</HeadersNotSigned>");
  });

  test("path, query or a signed header changed after signing: SignatureDoesNotMatch", async () => {
    const { fake, cred } = await startFake();
    const query = { "list-type": "2", prefix: "a b/ü~*'()!" };
    expect((await sendSigned(fake, cred, { method: "GET", path: "/logs", query })).status).toBe(200);
    const body = Buffer.from("x");
    const tampered = [
      await sendSigned(fake, cred, { method: "GET", path: "/logs", query, wireQuery: { ...query, prefix: "a" } }),
      await sendSigned(fake, cred, { method: "PUT", path: "/logs/a", body, wirePath: "/logs/b" }),
      await sendSigned(fake, cred, {
        method: "PUT",
        path: "/logs/a",
        body,
        headers: { "content-type": "text/plain" },
        unsignedHeaders: { "content-type": "text/html" },
      }),
    ];
    expect(tampered.map(errorCode)).toEqual(["SignatureDoesNotMatch", "SignatureDoesNotMatch", "SignatureDoesNotMatch"]);
    expect(fake.listObjects("logs")).toEqual([]);
  });

  test("error documents never carry the secret key or the session token", async () => {
    const { fake, cred } = await startFake();
    const cases = [
      await sendSigned(fake, { ...cred, secretAccessKey: "wrong" }, { method: "PUT", path: "/logs/k", body: Buffer.from("x") }),
      await sendSigned(fake, { ...cred, sessionToken: `${cred.sessionToken}x` }, { method: "PUT", path: "/logs/k", body: Buffer.from("x") }),
      await sendSigned(fake, cred, { method: "PUT", path: "/logs/k", body: Buffer.from("y"), payloadHash: "0".repeat(64) }),
    ];
    expect(cases.map(errorCode)).toEqual(["SignatureDoesNotMatch", "InvalidToken", "XAmzContentSHA256Mismatch"]);
    for (const response of cases) {
      expect(response.body).not.toContain(cred.secretAccessKey);
      expect(response.body).not.toContain(cred.sessionToken);
    }
  });
});
