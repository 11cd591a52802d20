import { createHash } from "node:crypto";
import { computeChecksum } from "./checksumAlgorithms.js";
import type { MultipartUpload, UploadedPart } from "./MultipartUpload.js";
import type { RequestedPart } from "./parseCompleteMultipartUpload.js";
import { s3Errors } from "./s3Errors.js";
import type { StoredChecksum } from "./StoredObject.js";

/** The object a completed multipart upload becomes. */
export interface AssembledObject {
  readonly body: Buffer;
  readonly etag: string;
  readonly checksum?: StoredChecksum;
}

const unquote = (etag: string): string => etag.trim().replace(/^"(.*)"$/, "$1");

/**
 * Checks a CompleteMultipartUpload part list against the uploaded parts the way S3 does, and
 * joins the parts it names (parts uploaded but not listed are dropped):
 * - part numbers strictly ascending, else `InvalidPartOrder`;
 * - each part uploaded with that ETag, else `InvalidPart`;
 * - an upload created with a COMPOSITE checksum algorithm needs each part's checksum in the list
 *   (`InvalidRequest` when missing, `InvalidPart` when different);
 * - every part but the last at least `minPartBytes`, else `EntityTooSmall`.
 */
export function assembleParts(upload: MultipartUpload, requested: readonly RequestedPart[], minPartBytes: number): AssembledObject {
  const parts: UploadedPart[] = [];
  let previous = 0;
  for (const wanted of requested) {
    if (wanted.partNumber <= previous) throw s3Errors.invalidPartOrder();
    previous = wanted.partNumber;
    const part = upload.parts.get(wanted.partNumber);
    if (part === undefined || unquote(part.etag) !== unquote(wanted.etag)) throw s3Errors.invalidPart(wanted.partNumber, wanted.etag);
    checkPartChecksum(upload, wanted, part);
    parts.push(part);
  }
  for (let index = 0; index < parts.length - 1; index++) {
    const part = parts[index] as UploadedPart;
    if (part.body.length < minPartBytes) {
      throw s3Errors.entityTooSmall(part.body.length, minPartBytes, (requested[index] as RequestedPart).partNumber, part.etag);
    }
  }

  const body = Buffer.concat(parts.map((part) => part.body));
  const md5s = Buffer.concat(parts.map((part) => Buffer.from(unquote(part.etag), "hex")));
  const etag = `"${createHash("md5").update(md5s).digest("hex")}-${parts.length}"`;
  const checksum = objectChecksum(upload, parts, body);
  return { body, etag, ...(checksum === undefined ? {} : { checksum }) };
}

function checkPartChecksum(upload: MultipartUpload, wanted: RequestedPart, part: UploadedPart): void {
  const algorithm = upload.checksumAlgorithm;
  if (algorithm === undefined || upload.checksumType !== "COMPOSITE") return;
  const listed = wanted.checksums[algorithm];
  if (listed === undefined) {
    throw s3Errors.invalidRequest(
      `The upload was created using a ${algorithm} checksum. The complete request must include the checksum for each part. It was missing for part ${wanted.partNumber} in the request.`,
    );
  }
  if (listed !== part.checksum?.value) throw s3Errors.invalidPart(wanted.partNumber, wanted.etag);
}

/** COMPOSITE: the checksum of the parts' raw checksums, `-N`; FULL_OBJECT: of the joined bytes. */
function objectChecksum(upload: MultipartUpload, parts: readonly UploadedPart[], body: Buffer): StoredChecksum | undefined {
  const algorithm = upload.checksumAlgorithm;
  if (algorithm === undefined) return undefined;
  if (upload.checksumType === "FULL_OBJECT") {
    const value = computeChecksum(algorithm, body);
    return value === undefined ? undefined : { algorithm, value, type: "FULL_OBJECT" };
  }
  const digests = parts.map((part) => Buffer.from(part.checksum?.value ?? "", "base64"));
  const value = computeChecksum(algorithm, Buffer.concat(digests));
  return value === undefined ? undefined : { algorithm, value: `${value}-${parts.length}`, type: "COMPOSITE" };
}
