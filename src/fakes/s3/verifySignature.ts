import { timingSafeEqual } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import { NodeSha256 } from "./NodeSha256.js";
import type { ParsedAuthorization } from "./parseAuthorization.js";
import type { QueryParams } from "./parseRequestTarget.js";

/** What a SigV4 check needs from the incoming request and the issuer's records. */
export interface SignatureInput {
  readonly method: string;
  readonly rawPath: string;
  readonly query: QueryParams;
  /** Request headers with lower-case names, repeated headers joined by ",". */
  readonly headers: Readonly<Record<string, string>>;
  readonly authorization: ParsedAuthorization;
  readonly secretAccessKey: string;
  /** Epoch ms of the request's `x-amz-date`. */
  readonly signingDate: number;
}

const AUTH_PARTS = /SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/;

/**
 * Re-signs the request with the issued secret and compares signatures in constant time.
 *
 * The signature is produced by `@smithy/signature-v4` itself rather than by hand, from exactly the
 * headers the client listed in `SignedHeaders`, the raw path (S3 signs it unescaped, as the S3
 * client configures `uriEscapePath: false`), the query, and the `x-amz-content-sha256` value as the
 * payload hash. The signer always writes `x-amz-date` (from `signingDate`) and
 * `x-amz-security-token` (from the credentials) itself, so those are fed through the signer's own
 * inputs, and marked unsignable when the client did not sign them, so the canonical request
 * matches what the client signed.
 */
export async function verifySignature(input: SignatureInput): Promise<boolean> {
  const { authorization: auth } = input;
  const signed = new Set(auth.signedHeaders);

  const headers = Object.create(null) as Record<string, string>;
  for (const name of signed) {
    // hasOwn: a client may list any name, including ones like "constructor".
    const value = Object.hasOwn(input.headers, name) ? input.headers[name] : undefined;
    if (value !== undefined) headers[name] = value;
  }
  const payloadHash = input.headers["x-amz-content-sha256"];
  if (payloadHash !== undefined) headers["x-amz-content-sha256"] = payloadHash;
  const unsignableHeaders = new Set(["x-amz-content-sha256", "x-amz-date"].filter((name) => !signed.has(name)));

  const sessionToken = signed.has("x-amz-security-token") ? input.headers["x-amz-security-token"] : undefined;
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: auth.accessKeyId,
      secretAccessKey: input.secretAccessKey,
      ...(sessionToken === undefined ? {} : { sessionToken }),
    },
    region: auth.scopeRegion,
    service: auth.scopeService,
    sha256: NodeSha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const resigned = await signer.sign(
    {
      method: input.method,
      protocol: "http:",
      hostname: input.headers["host"] ?? "",
      path: input.rawPath,
      query: copyQuery(input.query),
      headers,
    },
    { signingDate: new Date(input.signingDate), signableHeaders: signed, unsignableHeaders },
  );

  const match = AUTH_PARTS.exec(resigned.headers["authorization"] ?? "");
  if (match === null) return false;
  const [, ourSignedHeaders, ourSignature] = match;
  // A signed header missing from the request (or one the signer cannot reproduce, such as
  // `date`) changes the list; the client's signature cannot then be ours.
  if (ourSignedHeaders !== [...auth.signedHeaders].sort().join(";") || ourSignature === undefined) return false;
  return timingSafeEqual(Buffer.from(ourSignature, "latin1"), Buffer.from(auth.signature, "latin1"));
}

function copyQuery(query: QueryParams): Record<string, string | string[]> {
  const copy = Object.create(null) as Record<string, string | string[]>;
  for (const [name, value] of Object.entries(query)) copy[name] = typeof value === "string" ? value : [...value];
  return copy;
}
