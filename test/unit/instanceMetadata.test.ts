import { createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { describeImdsError } from "../../src/credentials/describeCredentialError.js";
import { ImdsStalledError } from "../../src/credentials/ImdsStalledError.js";
import { instanceMetadata } from "../../src/credentials/instanceMetadata.js";
import { FakeImds } from "../../src/fakes/imds/FakeImds.js";
import { assertImdsV2Only } from "../support/assertImdsV2Only.js";

describe("instanceMetadata", () => {
  let imds: FakeImds;

  beforeEach(async () => {
    imds = await FakeImds.start({ instanceId: "i-0a1b2c3d4e5f60718" });
  });

  afterEach(async () => {
    await imds.close();
  });

  it("reads again once IMDS answers after refusing the token PUT with 403 (the SDK's client would stop fetching tokens for good)", async () => {
    const metadata = instanceMetadata({ endpoint: imds.endpoint, timeoutMs: 500, retries: 0 });
    imds.failWith(403);
    await expect(metadata.get("meta-data/instance-id")).rejects.toThrow();
    await imds.clearFaults();

    await expect(metadata.get("meta-data/instance-id")).resolves.toBe("i-0a1b2c3d4e5f60718");
    assertImdsV2Only(imds);
  });

  it.each([
    [403, /refused the request \(403\): is the instance's metadata endpoint turned off\?/],
    [404, /token request to \S+ answered HTTP 404: is that an instance metadata service\?/],
    [503, /token request to \S+ answered HTTP 503 \(IMDS busy or failing for now\)$/],
  ])("says what an endpoint answering %i to everything answered, which the SDK keeps only in its message", async (status, expected) => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests += 1;
      res.writeHead(status).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      // With the product's retries: a retry must not turn the refusal into the SDK's "fetching token is disabled".
      const error: unknown = await instanceMetadata({ endpoint, timeoutMs: 500 })
        .get("meta-data/instance-id")
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );
      expect(describeImdsError(error, endpoint)).toMatch(expected);
      // A refused token PUT is final, as for the SDK's client; a busy IMDS (5xx) is asked again, twice.
      expect(requests).toBe(status >= 500 ? 3 : 1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("abandons an answer that stops partway (the SDK's client times out only the headers), says so, and asks no more than once", async () => {
    const metadata = instanceMetadata({ endpoint: imds.endpoint, timeoutMs: 100 });
    imds.stallBodies();
    const started = Date.now();
    const error: unknown = await metadata.get("meta-data/instance-id").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ImdsStalledError);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(describeImdsError(error, imds.endpoint)).toMatch(/stopped partway through its answers \(no complete answer in 400 ms\)/);
    // The token PUT stalled: abandoned, not asked again.
    expect(imds.countRequests()).toBe(1);
    await imds.clearFaults();
    await expect(metadata.get("meta-data/instance-id")).resolves.toBe("i-0a1b2c3d4e5f60718");
  });

  it("closes the connection of an answer it abandoned, so that a stalled IMDS holds none open", async () => {
    // A token (closing its connection, as IMDS does), then a GET answered with half its body and never finished.
    const sockets = new Set<Socket>();
    const server = createServer((req, res) => {
      if (req.method === "PUT") {
        res.writeHead(200, { "content-length": 5, connection: "close" }).end("token");
        return;
      }
      res.writeHead(200, { "content-length": 20, connection: "close" });
      res.write("i-0123");
    });
    server.on("connection", (socket) => {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const metadata = instanceMetadata({ endpoint, timeoutMs: 50 });
      for (let read = 0; read < 10; read += 1) {
        await expect(metadata.get("meta-data/instance-id")).rejects.toBeInstanceOf(ImdsStalledError);
      }
      await expect.poll(() => sockets.size, { timeout: 2_000 }).toBe(0);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("gives up a read at once when told to stop, without waiting for its deadline", async () => {
    const metadata = instanceMetadata({ endpoint: imds.endpoint, timeoutMs: 2_000 });
    imds.stallBodies();
    const stop = new AbortController();
    const read = metadata.get("meta-data/instance-id", stop.signal).catch((caught: unknown) => caught);
    setTimeout(() => stop.abort(new Error("stopping")), 50);
    const started = Date.now();
    expect(await read).toMatchObject({ message: "stopping" });
    expect(Date.now() - started).toBeLessThan(1_000);
    await imds.clearFaults();
  });
});
