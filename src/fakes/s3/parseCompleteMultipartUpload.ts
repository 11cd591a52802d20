import { isChecksumAlgorithm, type ChecksumAlgorithm } from "./checksumAlgorithms.js";
import { s3Errors } from "./s3Errors.js";

/** One `<Part>` of a CompleteMultipartUpload request. */
export interface RequestedPart {
  readonly partNumber: number;
  /** As sent, quotes included or not. */
  readonly etag: string;
  /** `<ChecksumCRC32>` & co., by lower-case algorithm name. */
  readonly checksums: Readonly<Partial<Record<ChecksumAlgorithm, string>>>;
}

const ROOT = /^\s*(?:<\?xml[^>]*\?>\s*)?<CompleteMultipartUpload(?:\s[^>]*)?>([\s\S]*)<\/CompleteMultipartUpload>\s*$/;
const PART = /<Part>([\s\S]*?)<\/Part>/g;
const FIELD = /<([A-Za-z0-9]+)>([^<]*)<\/\1>/g;
const ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/**
 * The part list of a CompleteMultipartUpload body (the SDK's and awscli's serialisation:
 * `<Part>` elements of simple text fields). Anything that is not such a document, or a part
 * without a valid `PartNumber` and an `ETag`, is `MalformedXML`, as S3 answers.
 */
export function parseCompleteMultipartUpload(xml: string): RequestedPart[] {
  const root = ROOT.exec(xml);
  if (root === null) throw s3Errors.malformedXml();
  const parts: RequestedPart[] = [];
  for (const [, content = ""] of (root[1] ?? "").matchAll(PART)) {
    const fields = new Map<string, string>();
    for (const [, name = "", value = ""] of content.matchAll(FIELD)) fields.set(name, decodeEntities(value));
    const partNumber = fields.get("PartNumber");
    const etag = fields.get("ETag");
    if (partNumber === undefined || !/^\d{1,5}$/.test(partNumber.trim()) || etag === undefined) throw s3Errors.malformedXml();
    const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
    for (const [name, value] of fields) {
      const algorithm = name.startsWith("Checksum") ? name.slice("Checksum".length).toLowerCase() : "";
      if (isChecksumAlgorithm(algorithm)) checksums[algorithm] = value.trim();
    }
    parts.push({ partNumber: Number(partNumber.trim()), etag: etag.trim(), checksums });
  }
  if (parts.length === 0) throw s3Errors.malformedXml();
  return parts;
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|[a-z]+);/g, (_entity, name: string) => {
    if (name.startsWith("#")) {
      const codePoint = name.startsWith("#x") ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      if (codePoint > 0x10ffff) throw s3Errors.malformedXml();
      return String.fromCodePoint(codePoint);
    }
    const decoded = ENTITIES[name];
    if (decoded === undefined) throw s3Errors.malformedXml();
    return decoded;
  });
}
