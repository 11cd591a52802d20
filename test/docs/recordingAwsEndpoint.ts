import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One AWS call as the CLI sent it: query protocol (IAM, EC2), or S3's REST protocol. */
export interface RecordedCall {
  /** From the SigV4 credential scope, e.g. `iam`, `ec2`, `s3`. */
  readonly service: string;
  readonly region: string;
  /** The query protocol's `Action`; for the S3 REST calls the README makes, the operation's name. */
  readonly action: string;
  readonly params: ReadonlyMap<string, string>;
  /** The request body as sent (S3's XML documents). */
  readonly body: string;
}

/** S3 REST requests by method and sub-resource: only those the README makes. */
function s3Action(method: string, url: URL): string {
  if (method === "PUT" && url.searchParams.has("lifecycle")) return "PutBucketLifecycleConfiguration";
  return `${method} ${url.pathname}${url.search}`;
}

/** The error code every call gets: the CLI has validated and sent it, which is all the test needs. */
export const RECORDED_ERROR_CODE = "RecordedByTest";

/**
 * A local endpoint for `aws --endpoint-url` that records IAM, EC2 and S3 calls and
 * answers each with a client error (no retries), so documented commands can be
 * run for real without an AWS account.
 */
export class RecordingAwsEndpoint {
  readonly calls: RecordedCall[] = [];
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<RecordingAwsEndpoint> {
    let endpoint: RecordingAwsEndpoint | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const sent = Buffer.concat(chunks).toString("utf8");
        const params = new URLSearchParams(sent);
        const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(req.headers.authorization ?? "");
        const service = scope?.[2] ?? "unknown";
        const action = service === "s3" ? s3Action(req.method ?? "", new URL(req.url ?? "/", "http://localhost")) : (params.get("Action") ?? "");
        endpoint?.calls.push({ service, region: scope?.[1] ?? "unknown", action, params: new Map(params), body: sent });
        const body =
          service === "ec2"
            ? `<Response><Errors><Error><Code>${RECORDED_ERROR_CODE}</Code><Message>recorded</Message></Error></Errors><RequestID>1</RequestID></Response>`
            : `<ErrorResponse><Error><Type>Sender</Type><Code>${RECORDED_ERROR_CODE}</Code><Message>recorded</Message></Error><RequestId>1</RequestId></ErrorResponse>`;
        res.writeHead(400, { "content-type": "text/xml" }).end(body);
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    endpoint = new RecordingAwsEndpoint(server);
    return endpoint;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}
