import { once } from "node:events";
import { createServer, type AddressInfo } from "node:net";

/**
 * A TCP port that was free a moment ago on `host`: bind port 0, read what the
 * kernel chose, close. For a child process that must be told its port up front.
 */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const server = createServer();
  server.listen(0, host);
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}
