import type { S3Error } from "./S3Error.js";
import { xmlEscape } from "./xmlEscape.js";

/** Renders the `<Error>` document S3 sends with every failed request that has a body. */
export function s3ErrorXml(error: S3Error, requestId: string, hostId: string): string {
  const details = Object.entries(error.details)
    .map(([name, value]) => `<${name}>${xmlEscape(value)}</${name}>`)
    .join("");
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<Error><Code>${xmlEscape(error.code)}</Code><Message>${xmlEscape(error.message)}</Message>` +
    `${details}<RequestId>${xmlEscape(requestId)}</RequestId><HostId>${xmlEscape(hostId)}</HostId></Error>`
  );
}
