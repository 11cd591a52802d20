import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { Socket } from "node:net";

type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The HTTP listener, able to really stop listening (so connects are refused) and to listen again
 * on the same port. Stop/resume/close are serialized so overlapping fault windows cannot race.
 */
export class ImdsListener {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #host: string;
  #port: number;
  #listening = false;
  #queue: Promise<void> = Promise.resolve();
  #resumeFailure: Error | undefined;

  /** Creates the server; nothing listens until listen(). */
  constructor(host: string, port: number, handler: RequestHandler) {
    this.#server = createServer(handler);
    this.#host = host;
    this.#port = port;
    this.#server.on("connection", (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once("close", () => this.#sockets.delete(socket));
    });
  }

  /** Starts listening; rejects when the address cannot be bound (EADDRINUSE, bad host). */
  listen(): Promise<void> {
    return this.#enqueue(() => this.#listen());
  }

  /** The bound port (the real one when asked for port 0); kept across stop/resume. */
  get port(): number {
    return this.#port;
  }

  /** Stops listening and drops every open connection, keep-alive and in-flight ones included. */
  stop(): Promise<void> {
    return this.#enqueue(() => this.#stop());
  }

  /**
   * Listens again on the same port. Runs from fault timers, so a failure (the port was taken
   * meanwhile) is kept and reported by close() instead of becoming an unhandled rejection.
   */
  resume(): Promise<void> {
    return this.#enqueue(async () => {
      try {
        await this.#listen();
      } catch (error: unknown) {
        this.#resumeFailure = error instanceof Error ? error : new Error(String(error));
      }
    });
  }

  /** Resolves once every stop/resume asked for so far has taken effect. */
  idle(): Promise<void> {
    return this.#queue;
  }

  async close(): Promise<void> {
    await this.stop();
    if (this.#resumeFailure) throw this.#resumeFailure;
  }

  #enqueue(step: () => Promise<void>): Promise<void> {
    const result = this.#queue.then(step);
    // A failed step must not wedge the steps queued after it; its caller still sees the failure.
    this.#queue = result.catch(() => undefined);
    return result;
  }

  #listen(): Promise<void> {
    if (this.#listening) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.#server.once("error", onError);
      this.#server.listen(this.#port, this.#host, () => {
        this.#server.off("error", onError);
        const address = this.#server.address();
        if (address !== null && typeof address === "object") this.#port = address.port;
        this.#listening = true;
        resolve();
      });
    });
  }

  #stop(): Promise<void> {
    if (!this.#listening) return Promise.resolve();
    this.#listening = false;
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      for (const socket of this.#sockets) socket.destroy();
    });
  }
}
