import { createServer, type Server } from "node:http";
import type { Logger } from "pino";
import { parseListenAddress } from "./parseListenAddress.js";
import type { ShipMetrics } from "./ShipMetrics.js";

export interface Readiness {
  /** Why the shipper is not ready, or undefined when it is. */
  notReadyBecause(): string | undefined;
}


/**
 * `--metrics-listen`: Prometheus text on /metrics, /healthz (the process
 * answers) and /readyz (credentials valid and uploads not failing for long).
 */
export async function serveMetrics(address: string, metrics: ShipMetrics, readiness: Readiness, logger: Logger): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
    } else if (path === "/metrics") {
      metrics.registry.metrics().then(
        (text) => response.writeHead(200, { "content-type": metrics.registry.contentType }).end(text),
        () => response.writeHead(500).end(),
      );
    } else if (path === "/healthz") {
      response.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    } else if (path === "/readyz") {
      const why = readiness.notReadyBecause();
      response.writeHead(why ? 503 : 200, { "content-type": "text/plain" }).end(why ? `not ready: ${why}\n` : "ready\n");
    } else {
      response.writeHead(404).end();
    }
  });
  const listen = parseListenAddress(address);
  // The config layer refused anything else (optionValues' listenAddressValue).
  if (listen === undefined) throw new Error(`not a HOST:PORT: ${address}`);
  const { host, port } = listen;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  logger.info({ address }, "serving metrics on /metrics, /healthz, /readyz");
  return server;
}
