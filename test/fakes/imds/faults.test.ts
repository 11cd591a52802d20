import { request } from "node:http";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { fromInstanceMetadata } from "@smithy/credential-provider-imds";
import { describe, expect } from "vitest";
import { getToken, imdsGet, imdsText, putToken } from "./imdsHttp.js";
import { sdkImdsTest } from "./sdkImdsTest.js";

/** The error code of a bare TCP connect, or "connected". */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** How a raw request ends: its status, the socket error code, or "no answer" after `waitMs`. */
function rawOutcome(port: number, method: string, path: string, headers: Record<string, string>, waitMs: number): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers });
    const timer = setTimeout(() => resolve("no answer"), waitMs);
    req.once("response", (res) => {
      clearTimeout(timer);
      res.resume();
      resolve(String(res.statusCode));
    });
    req.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code ?? error.message);
    });
    req.end();
  });
}

describe("fake-imds fault windows", () => {
  const provider = () => fromInstanceMetadata({ ec2MetadataV1Disabled: true, timeout: 200 })();

  sdkImdsTest("failWith(503) answers everything with 503 so the SDK provider throws, then recovers", async ({ fake }) => {
    fake.failWith(503, 300);
    const response = await putToken(fake.endpoint, "60");
    expect(response.status).toBe(503);
    expect(await response.text()).toBe("503 - Service Unavailable");
    // With IMDSv1 disabled the SDK reports any token failure but 400 as a blocked v1 fallback.
    await expect(provider()).rejects.toThrow(/fallback has been blocked/);
    expect(fake.countRequests({ status: 503 })).toBe(2);
    await sleep(350);
    expect((await provider()).accessKeyId).toBe(fake.currentCredentials().accessKeyId);
  });

  sdkImdsTest("failWith(500) also fails reads that carry a valid token, until cleared", async ({ fake }) => {
    const token = await getToken(fake.endpoint);
    fake.failWith(500);
    expect((await imdsGet(fake.endpoint, "/latest/meta-data/instance-id", token)).status).toBe(500);
    await fake.clearFaults();
    expect(await imdsText(fake.endpoint, "/latest/meta-data/instance-id", token)).toBe("i-0123456789abcdef0");
  });

  sdkImdsTest("refuseConnections() really stops listening, then listens again on the same port", async ({ fake }) => {
    const port = fake.port;
    await fake.refuseConnections(300);
    expect(await tryConnect(port)).toBe("ECONNREFUSED");
    await expect(provider()).rejects.toThrow();
    await sleep(400);
    expect(fake.port).toBe(port);
    expect(await tryConnect(port)).toBe("connected");
    expect((await provider()).accessKeyId).toBe(fake.currentCredentials().accessKeyId);
  });

  sdkImdsTest("clearFaults() ends a refusal early and resolves once listening again", async ({ fake }) => {
    await fake.refuseConnections();
    expect(await tryConnect(fake.port)).toBe("ECONNREFUSED");
    await fake.clearFaults();
    expect(await tryConnect(fake.port)).toBe("connected");
  });

  sdkImdsTest("stall() accepts but never answers, drops the held connections when the window ends, then answers again", async ({ fake }) => {
    fake.stall(400);
    const held = rawOutcome(fake.port, "GET", "/latest/meta-data/instance-id", {}, 2000);
    await expect(provider()).rejects.toThrow();
    expect(await held).toBe("ECONNRESET");
    expect(fake.requests[0]?.status).toBe(0);
    expect((await provider()).accessKeyId).toBe(fake.currentCredentials().accessKeyId);
  });

  sdkImdsTest("stallTokenPut() stalls only the token PUT (hop limit 1 inside a container)", async ({ fake }) => {
    const token = await getToken(fake.endpoint);
    fake.stallTokenPut();
    expect(await rawOutcome(fake.port, "PUT", "/latest/api/token", { "X-aws-ec2-metadata-token-ttl-seconds": "60" }, 300)).toBe("no answer");
    expect(await imdsText(fake.endpoint, "/latest/meta-data/instance-id", token)).toBe("i-0123456789abcdef0");
    await expect(provider()).rejects.toThrow(/fallback has been blocked/);
    await fake.clearFaults();
    expect((await provider()).accessKeyId).toBe(fake.currentCredentials().accessKeyId);
  });

  sdkImdsTest("close() returns promptly with a stalled request and an open idle connection", async ({ fake }) => {
    fake.stall();
    const held = rawOutcome(fake.port, "GET", "/latest/meta-data/instance-id", {}, 5000);
    const idle = connect(fake.port, "127.0.0.1");
    await new Promise((resolve) => idle.once("connect", resolve));
    await sleep(50);
    const started = Date.now();
    await fake.close();
    expect(Date.now() - started).toBeLessThan(500);
    expect(await held).toBe("ECONNRESET");
    expect(await tryConnect(fake.port)).toBe("ECONNREFUSED");
    idle.destroy();
  });
});
