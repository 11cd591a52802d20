import type { S3Object, S3Sink, S3StreamObject } from "../../src/sink/S3Sink.js";

/** An object as the in-process sink received it, streamed bodies joined. */
export interface ReceivedObject {
  key: string;
  contentType: string;
  metadata: Record<string, string>;
  body: Buffer;
}

/**
 * A sink for tests that run shippers in process: every PutObject and every
 * streamed upload is recorded, in order, after `beforePut` (which may change
 * the files while the upload "is in flight").
 */
export function inProcessSink(beforePut: (key: string) => void = () => undefined): { sink: S3Sink; received: ReceivedObject[] } {
  const received: ReceivedObject[] = [];
  const receive = (object: S3Object | S3StreamObject, body: Buffer): void => {
    beforePut(object.key);
    received.push({ key: object.key, contentType: object.contentType, metadata: object.metadata, body });
  };
  const sink = {
    put: async (object: S3Object) => receive(object, Buffer.from(object.body)),
    putStream: async (object: S3StreamObject) => {
      const pieces: Buffer[] = [];
      for await (const piece of object.body()) pieces.push(piece);
      const body = Buffer.concat(pieces);
      receive(object, body);
      return body.length;
    },
  } as S3Sink;
  return { sink, received };
}
