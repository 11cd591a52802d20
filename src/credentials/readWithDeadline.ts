import { AsyncLocalStorage } from "node:async_hooks";
import { subscribe } from "node:diagnostics_channel";
import type { ClientRequest } from "node:http";
import { ImdsStalledError } from "./ImdsStalledError.js";

/** The HTTP requests a read has started, collected as Node starts them (its "http.client.request.start" channel). */
const requestsOfRead = new AsyncLocalStorage<Set<ClientRequest>>();
let collecting = false;

function collectRequests(): void {
  if (collecting) return;
  collecting = true;
  subscribe("http.client.request.start", (message) => {
    requestsOfRead.getStore()?.add((message as { request: ClientRequest }).request);
  });
}

/**
 * Runs `read`, the SDK's metadata client at work, until it settles, its
 * deadline passes (ImdsStalledError) or `signal` aborts. The SDK's client
 * times out only the wait for an answer's headers, and takes no abort
 * signal: a read left behind would hold its connection for as long as IMDS
 * (or a proxy before it) keeps it open. So the requests it started, found
 * through Node's diagnostics channel, are destroyed: its socket goes, and
 * the SDK's read ends with an error nobody waits for.
 */
export async function readWithDeadline<T>(read: () => Promise<T>, deadlineMs: number, signal: AbortSignal | undefined): Promise<T> {
  signal?.throwIfAborted();
  collectRequests();
  const requests = new Set<ClientRequest>();
  let finished = false;
  const work = requestsOfRead.run(requests, read).finally(() => (finished = true));
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const cut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ImdsStalledError(`no complete answer in ${deadlineMs} ms`)), deadlineMs);
    onAbort = () => reject(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([work, cut]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
    if (!finished) {
      work.catch(() => undefined);
      for (const request of requests) request.destroy();
    }
  }
}
