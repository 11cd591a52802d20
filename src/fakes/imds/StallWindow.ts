import type { Socket } from "node:net";
import { FaultWindow } from "./FaultWindow.js";

/**
 * Accepts requests but never answers them while open, like an IMDS whose replies are lost (a token
 * PUT from inside a container with hop limit 1). When the window ends the held connections are
 * destroyed, so the client sees its connection drop rather than a late answer; or, if asked, they
 * stay open, as answers that never finish.
 */
export class StallWindow {
  readonly #window = new FaultWindow();
  readonly #held = new Set<Socket>();

  get isOpen(): boolean {
    return this.#window.isOpen;
  }

  /** With `dropHeld` false, the connections held stay open when the window ends (until `release`). */
  open(forMs: number | undefined, dropHeld = true): void {
    this.#window.open(forMs, () => {
      if (dropHeld) this.release();
    });
  }

  /** Destroys the connections held. */
  release(): void {
    for (const socket of this.#held) socket.destroy();
    this.#held.clear();
  }

  hold(socket: Socket): void {
    this.#held.add(socket);
    socket.once("close", () => this.#held.delete(socket));
  }

  end(): void {
    this.#window.end();
  }
}
