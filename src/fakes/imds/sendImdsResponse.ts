import { STATUS_CODES, type ServerResponse } from "node:http";

export interface ImdsResponse {
  readonly status: number;
  /** Defaults to EC2's error body, e.g. `404 - Not Found`. */
  readonly body?: string;
  readonly lastModified?: Date;
  readonly headers?: Readonly<Record<string, string>>;
}

/** `404 - Not Found`, the body EC2 gives for a status without a document. */
export function statusBody(status: number): string {
  return `${status} - ${STATUS_CODES[status] ?? "Error"}`;
}

/**
 * Writes a response with the headers of a captured real IMDS answer: everything is text/plain
 * (JSON documents included), `Server: EC2ws`, `Accept-Ranges: none`, `Last-Modified` and
 * `Connection: close`. A HEAD gets the same headers and no body. With `stallBody`, only the
 * first half of the body is written and the response is never ended.
 */
export function sendImdsResponse(res: ServerResponse, response: ImdsResponse, isHead: boolean, now: Date, stallBody = false): void {
  const body = response.body ?? statusBody(response.status);
  res.writeHead(response.status, {
    "Content-Type": "text/plain",
    "Content-Length": Buffer.byteLength(body),
    "Accept-Ranges": "none",
    "Last-Modified": (response.lastModified ?? now).toUTCString(),
    Server: "EC2ws",
    Connection: "close",
    ...response.headers,
  });
  if (stallBody) res.write(body.slice(0, Math.floor(body.length / 2)));
  else res.end(isHead ? undefined : body);
}
