import type { IncomingMessage } from "node:http";

/**
 * Request headers as one string per lower-case name. Repeated headers are joined with ","
 * (no space), the form SigV4 canonicalisation uses for a header sent more than once.
 */
export function flattenHeaders(req: IncomingMessage): Record<string, string> {
  return Object.fromEntries(
    Object.entries(req.headersDistinct).flatMap(([name, values]) => (values === undefined ? [] : [[name, values.join(",")]])),
  );
}
