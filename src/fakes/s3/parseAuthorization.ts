import { s3Errors } from "./s3Errors.js";

/** The parts of an `AWS4-HMAC-SHA256` Authorization header. */
export interface ParsedAuthorization {
  readonly accessKeyId: string;
  /** `YYYYMMDD` from the credential scope. */
  readonly scopeDate: string;
  readonly scopeRegion: string;
  readonly scopeService: string;
  /** Lower-case header names in the order the client listed them. */
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

const ALGORITHM = "AWS4-HMAC-SHA256";

/**
 * Parses `AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/s3/aws4_request,
 * SignedHeaders=host;x-amz-date, Signature=<hex>`. Anything else is rejected the way S3 does:
 * other schemes (SigV2, SigV4a) with `InvalidRequest`, a malformed header with
 * `AuthorizationHeaderMalformed`.
 */
export function parseAuthorization(header: string): ParsedAuthorization {
  const trimmed = header.trim();
  const space = trimmed.indexOf(" ");
  const algorithm = space === -1 ? trimmed : trimmed.slice(0, space);
  if (algorithm !== ALGORITHM) {
    throw s3Errors.invalidRequest("The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.");
  }

  const fields = new Map<string, string>();
  for (const part of trimmed.slice(space + 1).split(",")) {
    const eq = part.indexOf("=");
    if (eq === -1) throw s3Errors.authorizationHeaderMalformed("expected comma-separated name=value components");
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get("Credential");
  const signedHeaders = fields.get("SignedHeaders");
  const signature = fields.get("Signature");
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    throw s3Errors.authorizationHeaderMalformed("Credential, SignedHeaders and Signature are all required");
  }
  // SigV4 requires the host to be signed: a request that leaves it out could be replayed at another endpoint.
  if (!signedHeaders.split(";").includes("host")) {
    throw s3Errors.authorizationHeaderMalformed("the host header must be signed (SignedHeaders must include host)");
  }

  // The access key id cannot contain "/", so the scope is always the last four parts.
  const parts = credential.split("/");
  const [accessKeyId, scopeDate, scopeRegion, scopeService, terminator] = parts;
  if (
    parts.length !== 5 ||
    accessKeyId === undefined ||
    accessKeyId === "" ||
    scopeDate === undefined ||
    !/^\d{8}$/.test(scopeDate) ||
    scopeRegion === undefined ||
    scopeRegion === "" ||
    scopeService === undefined ||
    terminator !== "aws4_request"
  ) {
    throw s3Errors.authorizationHeaderMalformed(
      "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
    );
  }
  if (!/^[0-9a-f]{64}$/.test(signature)) {
    throw s3Errors.authorizationHeaderMalformed("the Signature must be 64 lower-case hex digits");
  }
  const headerNames = signedHeaders.split(";");
  if (headerNames.some((name) => name === "" || name !== name.toLowerCase())) {
    throw s3Errors.authorizationHeaderMalformed("SignedHeaders must be a ';'-separated list of lower-case header names");
  }

  return {
    accessKeyId,
    scopeDate,
    scopeRegion,
    scopeService,
    signedHeaders: headerNames,
    signature,
  };
}
