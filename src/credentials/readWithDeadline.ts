import { subscribe } from "node:diagnostics_channel";
import type { ClientRequest } from "node:http";
import { ImdsStalledError } from "./ImdsStalledError.js";

/** A read in progress: the Host header of its endpoint, and the requests made to it meanwhile. */
interface PendingRead {
  host: string;
  requests: Set<ClientRequest>;
}

const pendingReads = new Set<PendingRead>();
let collecting = false;

/**
 * Requests are collected as Node starts them (its "http.client.request.start"
 * channel), by the Host they go to: an AsyncLocalStorage would tell them
 * apart exactly, but on Node 20 it installs promise hooks that tax every
 * promise of the process, the hot path's included.
 */
function collectRequests(): void {
  if (collecting) return;
  collecting = true;
  subscribe("http.client.request.start", (message) => {
    if (pendingReads.size === 0) return;
    const request = (message as { request: ClientRequest }).request;
    const host = request.getHeader("host");
    for (const read of pendingReads) if (read.host === host) read.requests.add(request);
  });
}

/**
 * Runs `read`, the SDK's metadata client at work against `endpoint`, until it
 * settles, its deadline passes (ImdsStalledError) or `signal` aborts. The
 * SDK's client times out only the wait for an answer's headers, and takes no
 * abort signal: a read left behind would hold its connection for as long as
 * IMDS (or a proxy before it) keeps it open. So the requests made to the
 * endpoint while it ran are destroyed: their sockets go, and the SDK's read
 * ends with an error nobody waits for. Another read of the endpoint at the
 * same moment may lose its request too; it fails, and is asked again as any
 * failed read is.
 */
export async function readWithDeadline<T>(endpoint: string, read: () => Promise<T>, deadlineMs: number, signal: AbortSignal | undefined): Promise<T> {
  signal?.throwIfAborted();
  collectRequests();
  const pending: PendingRead = { host: new URL(endpoint).host, requests: new Set() };
  pendingReads.add(pending);
  let finished = false;
  // Async, so that a throw inside `read` is a rejection like any other.
  const work = (async () => read())().finally(() => {
    finished = true;
    pendingReads.delete(pending);
  });
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
      pendingReads.delete(pending);
      work.catch(() => undefined);
      for (const request of pending.requests) request.destroy();
    }
  }
}
