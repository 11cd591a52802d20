import { createHash } from "node:crypto";
import { request } from "node:http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { IssuedCredential } from "../../../src/fakes/CredentialAuthority.js";
import type { FakeS3 } from "../../../src/fakes/s3/FakeS3.js";
import { NodeSha256 } from "../../../src/fakes/s3/NodeSha256.js";

export interface RawS3Request {
  readonly method: string;
  /** Raw (already escaped) path, e.g. `/logs/key`. */
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly headers?: Record<string, string>;
  /** Sent on the wire; also what is hashed into x-amz-content-sha256 unless `payloadHash` says otherwise. */
  readonly body?: Buffer;
  readonly payloadHash?: string;
  /** Added (or overridden) after signing, so the signature does not cover these values. */
  readonly unsignedHeaders?: Record<string, string>;
  /** Sent instead of `path`/`query` after signing, to tamper with a signed request. */
  readonly wirePath?: string;
  readonly wireQuery?: Record<string, string>;
  /** Send the body with Transfer-Encoding: chunked instead of Content-Length. */
  readonly chunked?: boolean;
  /** Omit the Authorization header entirely. */
  readonly anonymous?: boolean;
  /** Sign at this time (epoch ms); default now. */
  readonly signingDate?: number;
}

export interface RawS3Response {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** Signs a request with @smithy/signature-v4 as the S3 client does, and sends it over plain node:http. */
export async function sendSigned(fake: FakeS3, cred: IssuedCredential, raw: RawS3Request): Promise<RawS3Response> {
  const url = new URL(fake.endpoint);
  const body = raw.body ?? Buffer.alloc(0);
  const headers: Record<string, string> = {
    host: url.host,
    "x-amz-content-sha256": raw.payloadHash ?? createHash("sha256").update(body).digest("hex"),
    ...(raw.chunked === true ? { "transfer-encoding": "chunked" } : { "content-length": String(body.length) }),
    ...raw.headers,
  };
  let finalHeaders = headers;
  if (raw.anonymous !== true) {
    const signer = new SignatureV4({
      credentials: {
        accessKeyId: cred.accessKeyId,
        secretAccessKey: cred.secretAccessKey,
        ...(cred.sessionToken === "" ? {} : { sessionToken: cred.sessionToken }),
      },
      region: "us-east-1",
      service: "s3",
      sha256: NodeSha256,
      uriEscapePath: false,
    });
    const signed = await signer.sign(
      { method: raw.method, protocol: "http:", hostname: url.hostname, path: raw.path, query: raw.query ?? {}, headers },
      { signingDate: new Date(raw.signingDate ?? Date.now()) },
    );
    finalHeaders = signed.headers;
  }
  const query = new URLSearchParams(raw.wireQuery ?? raw.query ?? {}).toString().replace(/\+/g, "%20");
  return new Promise((resolve, reject) => {
    const req = request(
      {
        method: raw.method,
        host: url.hostname,
        port: url.port,
        path: (raw.wirePath ?? raw.path) + (query === "" ? "" : `?${query}`),
        headers: { ...finalHeaders, ...raw.unsignedHeaders },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** The `<Code>` of an S3 error document. */
export function errorCode(response: RawS3Response): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(response.body)?.[1];
}
