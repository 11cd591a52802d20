import { describe, expect, it } from "vitest";
import { parseListenAddress } from "../../src/metrics/parseListenAddress.js";

describe("parseListenAddress", () => {
  it("reads HOST:PORT, IPv6 in brackets, and port 80, which an http: URL would drop as its default", () => {
    expect(parseListenAddress("127.0.0.1:9464")).toEqual({ host: "127.0.0.1", port: 9464 });
    expect(parseListenAddress("[::1]:9464")).toEqual({ host: "::1", port: 9464 });
    expect(parseListenAddress("0.0.0.0:80")).toEqual({ host: "0.0.0.0", port: 80 });
    expect(parseListenAddress("localhost:443")).toEqual({ host: "localhost", port: 443 });
  });

  it("refuses no port, port 0 (a random port no scraper would find), a port out of range, and URLs", () => {
    for (const text of ["127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", ":9464", "http://127.0.0.1:9464", "a b:1", "u@h:1"]) {
      expect(parseListenAddress(text), text).toBeUndefined();
    }
  });
});
