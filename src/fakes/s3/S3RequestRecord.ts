import type { S3Operation } from "./resolveOperation.js";

/** One request the fake S3 received, logged when it was answered (or dropped). */
export interface S3RequestRecord {
  /** Server clock (the `now` option) when the request arrived. */
  readonly at: Date;
  readonly method: string;
  readonly operation?: S3Operation;
  readonly bucket?: string;
  readonly key?: string;
  /** HTTP status sent; 0 when no response was sent (injected reset, client gone). */
  readonly status: number;
  /**
   * The S3 error code for a failure; `InjectedReset` for a connection reset by a fault,
   * `ClientDisconnected` when the client left before an answer.
   */
  readonly errorCode?: string;
  /** The access key that signed it, once the signature has been verified. */
  readonly accessKeyId?: string;
}
