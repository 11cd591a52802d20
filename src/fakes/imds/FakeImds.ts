import type { IncomingMessage, ServerResponse } from "node:http";
import { isIPv6 } from "node:net";
import { describeProviderFailure } from "../../credentials/describeProviderFailure.js";
import type { CredentialAuthority, IssuedCredential } from "../CredentialAuthority.js";
import { buildMetadataTree } from "./buildMetadataTree.js";
import type { Clock } from "./Clock.js";
import { CredentialRegistry } from "./CredentialRegistry.js";
import type { CredentialSource } from "./CredentialSource.js";
import { CredentialSourceError } from "./CredentialSourceError.js";
import type { FakeImdsOptions } from "./FakeImdsOptions.js";
import { FakeImdsUsageError } from "./FakeImdsUsageError.js";
import { FaultWindow } from "./FaultWindow.js";
import { ImdsListener } from "./ImdsListener.js";
import { type ImdsRequestFilter, type ImdsRequestRecord, matchesImdsRequest } from "./ImdsRequestRecord.js";
import type { InstanceIdentity } from "./InstanceIdentity.js";
import { LifecycleNotices, type SpotInterruptionAction } from "./LifecycleNotices.js";
import { listing, resolveNode } from "./MetadataNode.js";
import { truncateToSecond } from "./formatImdsTimestamp.js";
import { generateCredential, sourcedCredential } from "./mintCredential.js";
import { normalizeImdsPath } from "./normalizeImdsPath.js";
import { rotationDueAt } from "./rotationDueAt.js";
import { MAX_TOKEN_TTL_SECONDS, parseTokenTtl } from "./parseTokenTtl.js";
import { type ImdsResponse, sendImdsResponse } from "./sendImdsResponse.js";
import type { ServedCredential } from "./ServedCredential.js";
import { StallWindow } from "./StallWindow.js";
import { TokenStore } from "./TokenStore.js";

const TOKEN_PATH = "/latest/api/token";
/** EC2 refuses token PUTs on dated versions such as `/2021-03-23/api/token` ("This behavior is intended"). */
const VERSIONED_TOKEN_PATH = /^\/[^/]+\/api\/token\/?$/;
/** The role's paths: the only ones that depend on the credential service. */
const IAM_PATH = "/latest/meta-data/iam/";

function singleHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function requirePositive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new FakeImdsUsageError(`${name} must be a positive number, got ${value}`);
  return value;
}

function requireNonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new FakeImdsUsageError(`${name} must be zero or more, got ${value}`);
  return value;
}

/**
 * A local IMDSv2 endpoint that behaves like EC2's (see research §1): session tokens, 401 without
 * one, rotating instance-profile credentials, lifecycle notices, and fault windows for tests.
 * It is also the CredentialAuthority a fake S3 asks about the keys it sees.
 */
export class FakeImds implements CredentialAuthority {
  readonly #clock: Clock;
  readonly #host: string;
  readonly #identity: InstanceIdentity;
  readonly #source: CredentialSource | undefined;
  readonly #maxTokenTtlSeconds: number;
  readonly #tokens: TokenStore;
  readonly #registry = new CredentialRegistry();
  readonly #notices: LifecycleNotices;
  readonly #listener: ImdsListener;
  readonly #requests: ImdsRequestRecord[] = [];
  readonly #failWith = new FaultWindow();
  readonly #refusal = new FaultWindow();
  readonly #stall = new StallWindow();
  readonly #stallTokenPut = new StallWindow();
  readonly #stallBodies = new StallWindow();
  #roleRefusal: string | undefined;
  #failStatus = 500;
  #lifetimeSeconds: number;
  #rotateBeforeSeconds: number;
  /** Source mode only: the lifetime changed, so the next credentials read must fetch a new set. */
  #refetchRequested = false;
  #sourcing: Promise<ServedCredential> | undefined;
  #closed = false;

  private constructor(options: FakeImdsOptions) {
    this.#clock = options.now ?? Date.now;
    this.#host = options.host ?? "127.0.0.1";
    const region = options.region ?? "us-east-1";
    this.#identity = {
      instanceId: options.instanceId ?? "i-0123456789abcdef0",
      region,
      availabilityZone: options.availabilityZone ?? `${region}a`,
      accountId: options.accountId ?? "123456789012",
      role: options.role === null ? undefined : (options.role ?? "ship-logs-role"),
      imageId: "ami-0abcdef1234567890",
      instanceType: "t3.micro",
      architecture: "x86_64",
      privateIp: "10.0.0.10",
      launchedAt: truncateToSecond(this.#clock()),
    };
    this.#source = options.credentialSource;
    this.#lifetimeSeconds = requirePositive("credentialLifetimeSeconds", options.credentialLifetimeSeconds ?? 21_600);
    this.#rotateBeforeSeconds = requireNonNegative("rotateBeforeSeconds", options.rotateBeforeSeconds ?? 300);
    this.#maxTokenTtlSeconds = Math.min(
      requirePositive("maxTokenTtlSeconds", options.maxTokenTtlSeconds ?? MAX_TOKEN_TTL_SECONDS),
      MAX_TOKEN_TTL_SECONDS,
    );
    this.#tokens = new TokenStore(this.#clock);
    this.#notices = new LifecycleNotices(this.#clock);
    this.#listener = new ImdsListener(this.#host, options.port ?? 0, (req, res) => this.#handle(req, res));
  }

  /**
   * Issues (or, with a credentialSource, fetches) the first credential set, then listens.
   * Rejects with CredentialSourceError when the source fails, before anything listens.
   */
  static async start(options: FakeImdsOptions = {}): Promise<FakeImds> {
    const fake = new FakeImds(options);
    await fake.#servingCredential();
    await fake.#listener.listen();
    return fake;
  }

  get port(): number {
    return this.#listener.port;
  }

  /** `http://HOST:PORT`, the value for AWS_EC2_METADATA_SERVICE_ENDPOINT. */
  get endpoint(): string {
    const host = isIPv6(this.#host) ? `[${this.#host}]` : this.#host;
    return `http://${host}:${this.port}`;
  }

  /** Undefined when started with `role: null` (no instance profile attached). */
  get role(): string | undefined {
    return this.#identity.role;
  }

  get instanceId(): string {
    return this.#identity.instanceId;
  }

  /** Stops listening and drops every connection, stalled and keep-alive ones included. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#endFaults();
    await this.#listener.close();
  }

  // ---- credentials -------------------------------------------------------------------------

  /**
   * The set a credentials GET would serve now. With generated credentials a due rotation happens
   * here too, so tests see the same thing as clients. With a credentialSource (which is async) a
   * due refresh happens on the next credentials GET, and this returns the set served last.
   */
  currentCredentials(): IssuedCredential {
    return this.#current();
  }

  issuedCredentials(): readonly IssuedCredential[] {
    return this.#registry.all;
  }

  /** Publishes a fresh set now; earlier sets stay valid until their own Expiration. */
  rotateCredentials(): IssuedCredential {
    if (this.#source !== undefined) {
      throw new FakeImdsUsageError("rotateCredentials() needs generated credentials: a credentialSource decides its own keys");
    }
    return this.#rotate();
  }

  /**
   * Changes the lifetime (and optionally the rotation lead) of the sets issued from now on, and
   * issues one at once (with a credentialSource: on the next credentials GET), so a test that
   * shortens the lifetime sees short-lived credentials on the very next fetch.
   */
  setCredentialLifetime(seconds: number, rotateBeforeSeconds?: number): void {
    this.#lifetimeSeconds = requirePositive("credential lifetime", seconds);
    if (rotateBeforeSeconds !== undefined) {
      this.#rotateBeforeSeconds = requireNonNegative("rotateBeforeSeconds", rotateBeforeSeconds);
    }
    if (this.#source === undefined) this.#rotate();
    else this.#refetchRequested = true;
  }

  /** Marks the key revoked (the fake S3 then rejects it); a revoked current set is replaced. */
  revoke(accessKeyId: string): void {
    const wasCurrent = this.#registry.revoke(accessKeyId);
    if (wasCurrent && this.#source === undefined) this.#rotate();
  }

  lookup(accessKeyId: string): IssuedCredential | undefined {
    return this.#registry.lookup(accessKeyId);
  }

  /** Whether `credential` can still be served: issued, not revoked, not yet due for rotation. */
  #isFresh(credential: ServedCredential | undefined): credential is ServedCredential {
    return (
      credential !== undefined &&
      !credential.revoked &&
      this.#clock() < rotationDueAt(credential, this.#rotateBeforeSeconds)
    );
  }

  #rotate(): ServedCredential {
    return this.#registry.add(generateCredential(this.#clock(), this.#lifetimeSeconds));
  }

  #current(): ServedCredential {
    if (this.#source === undefined) return this.#generatedCurrent();
    const current = this.#registry.current;
    if (current === undefined) throw new FakeImdsUsageError("no credentials issued yet: use FakeImds.start()");
    return current;
  }

  #generatedCurrent(): ServedCredential {
    const current = this.#registry.current;
    return this.#isFresh(current) ? current : this.#rotate();
  }

  async #servingCredential(): Promise<ServedCredential> {
    if (this.#source === undefined) return this.#generatedCurrent();
    const current = this.#registry.current;
    if (!this.#refetchRequested && this.#isFresh(current)) return current;
    // Concurrent credential GETs share one fetch from the source.
    this.#sourcing ??= this.#fetchFromSource(this.#source).finally(() => {
      this.#sourcing = undefined;
    });
    return this.#sourcing;
  }

  /** As #servingCredential, but a failed refresh keeps serving the last set until its own Expiration, as EC2 does. */
  async #credentialToServe(): Promise<ServedCredential> {
    try {
      return await this.#servingCredential();
    } catch (error: unknown) {
      const current = this.#registry.current;
      if (current !== undefined && !current.revoked && this.#clock() < current.expiration.getTime()) return current;
      throw error;
    }
  }

  async #fetchFromSource(source: CredentialSource): Promise<ServedCredential> {
    let sourced;
    try {
      sourced = await source();
    } catch (error: unknown) {
      throw new CredentialSourceError(describeProviderFailure(error));
    }
    this.#refetchRequested = false;
    return this.#registry.add(sourcedCredential(sourced, this.#clock(), this.#lifetimeSeconds));
  }

  /**
   * Serves the role's credentials document as EC2 does when it cannot get them: `code` (e.g.
   * AssumeRoleUnauthorizedAccess, a trust policy that does not name ec2.amazonaws.com) and a
   * message instead of keys, with HTTP 200, until clearFaults.
   */
  refuseRoleCredentials(code = "AssumeRoleUnauthorizedAccess"): void {
    this.#roleRefusal = code;
  }

  // ---- lifecycle notices -------------------------------------------------------------------

  /** Publishes `spot/instance-action` with the usual two-minute warning. */
  raiseSpotInterruption(action: SpotInterruptionAction = "terminate"): void {
    this.#notices.raiseSpotInterruption(action);
  }

  /** E.g. "Terminated"; "InService" until set. */
  setTargetLifecycleState(state: string): void {
    this.#notices.setTargetLifecycleState(state);
  }

  raiseRebalanceRecommendation(): void {
    this.#notices.raiseRebalanceRecommendation();
  }

  clearNotices(): void {
    this.#notices.clear();
  }

  // ---- faults --------------------------------------------------------------------------------

  /** Answers every request with `status` (e.g. 500, or 503 for throttling) for `forMs` (0 = until cleared). */
  failWith(status: number, forMs?: number): void {
    this.#failStatus = status;
    this.#failWith.open(forMs);
  }

  /**
   * Really stops listening, so connects fail with ECONNREFUSED, and listens again on the same port
   * when the window ends. Resolves once connections are being refused.
   */
  refuseConnections(forMs?: number): Promise<void> {
    this.#refusal.open(forMs, () => {
      if (!this.#closed) void this.#listener.resume();
    });
    return this.#listener.stop();
  }

  /** Accepts requests but answers none; when the window ends the held connections are destroyed. */
  stall(forMs?: number): void {
    this.#stall.open(forMs);
  }

  /** Only the token PUT stalls: what a container behind hop limit 1 sees. */
  stallTokenPut(forMs?: number): void {
    this.#stallTokenPut.open(forMs);
  }

  /**
   * Answers, but sends only the first half of each body and then nothing more: an answer that
   * stalls midway (a proxy or an overloaded host in between). When the window ends the held
   * connections are destroyed, unless `dropHeld` is false: then they stay open, unfinished, while
   * later requests are answered in full (until clearFaults or close).
   */
  stallBodies(forMs?: number, dropHeld = true): void {
    this.#stallBodies.open(forMs, dropHeld);
  }

  /** Ends every fault now; resolves once the fake is listening again if it was refusing. */
  clearFaults(): Promise<void> {
    this.#endFaults();
    return this.#listener.idle();
  }

  #endFaults(): void {
    this.#failWith.end();
    this.#refusal.end();
    this.#stall.end();
    this.#stallTokenPut.end();
    this.#stallBodies.end();
    this.#stallBodies.release();
    this.#roleRefusal = undefined;
  }

  // ---- request log -------------------------------------------------------------------------

  get requests(): readonly ImdsRequestRecord[] {
    return this.#requests;
  }

  countRequests(filter: ImdsRequestFilter = () => true): number {
    return this.#requests.filter((record) => matchesImdsRequest(record, filter)).length;
  }

  /** Successful reads of the role's credentials document. */
  countCredentialFetches(): number {
    if (this.#identity.role === undefined) return 0;
    const credentialsPath = `latest/meta-data/iam/security-credentials/${this.#identity.role}`;
    return this.countRequests(
      (record) => record.status === 200 && record.method === "GET" && record.path.split("/").filter(Boolean).join("/") === credentialsPath,
    );
  }

  // ---- HTTP --------------------------------------------------------------------------------

  #handle(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    const method = req.method ?? "GET";
    const path = normalizeImdsPath(req.url);
    const token = singleHeader(req, "x-aws-ec2-metadata-token");
    const record = (status: number): void => {
      this.#requests.push({
        at: new Date(this.#clock()),
        method,
        path,
        tokenPresent: token !== undefined,
        tokenValid: this.#tokens.isValid(token),
        status,
      });
    };
    const stall = this.#stallHolding(method, path);
    if (stall !== undefined) {
      record(0);
      stall.hold(req.socket);
      return;
    }
    this.#answer(req, method, path, token)
      // A failing credential source is EC2's "something went wrong inside": a 500.
      .catch((): ImdsResponse => ({ status: 500 }))
      .then((response) => {
        record(response.status);
        const stallBody = this.#stallBodies.isOpen && method !== "HEAD";
        if (stallBody) this.#stallBodies.hold(req.socket);
        sendImdsResponse(res, response, method === "HEAD", new Date(this.#clock()), stallBody);
      })
      // Never let a write to a vanished client become an unhandled rejection in the test process.
      .catch(() => res.destroy());
  }

  #stallHolding(method: string, path: string): StallWindow | undefined {
    if (this.#stall.isOpen) return this.#stall;
    if (method === "PUT" && path === TOKEN_PATH && this.#stallTokenPut.isOpen) return this.#stallTokenPut;
    return undefined;
  }

  async #answer(req: IncomingMessage, method: string, path: string, token: string | undefined): Promise<ImdsResponse> {
    if (this.#failWith.isOpen) return { status: this.#failStatus };
    if (path === TOKEN_PATH) return this.#answerTokenRequest(req, method);
    if (method === "PUT" && VERSIONED_TOKEN_PATH.test(path)) return { status: 403 };
    if (method !== "GET" && method !== "HEAD") return { status: 405, headers: { Allow: "GET, HEAD" } };
    // Tokens are required: a request without a live token is 401, never an IMDSv1 answer.
    if (!this.#tokens.isValid(token)) return { status: 401 };
    // Only the role's paths wait for (and can fail on) a credential fetch: EC2 keeps answering
    // instance-id and the rest whatever its credential service is doing.
    const credential = path.startsWith(IAM_PATH) ? await this.#credentialToServe() : this.#current();
    const node = resolveNode(buildMetadataTree(this.#identity, credential, this.#notices, this.#roleRefusal), path.split("/"));
    if (node === undefined) return { status: 404 };
    if (node.kind === "directory") return { status: 200, body: listing(node) };
    return node.lastModified === undefined
      ? { status: 200, body: node.body }
      : { status: 200, body: node.body, lastModified: node.lastModified };
  }

  #answerTokenRequest(req: IncomingMessage, method: string): ImdsResponse {
    if (method !== "PUT") return { status: 405, headers: { Allow: "PUT" } };
    // EC2 rejects token PUTs that went through a proxy; the status is our choice (research §1.5).
    if (req.headers["x-forwarded-for"] !== undefined) return { status: 403 };
    const requested = parseTokenTtl(singleHeader(req, "x-aws-ec2-metadata-token-ttl-seconds"));
    if (requested === undefined) return { status: 400 };
    const granted = Math.min(requested, this.#maxTokenTtlSeconds);
    return {
      status: 200,
      body: this.#tokens.issue(granted),
      headers: { "X-Aws-Ec2-Metadata-Token-Ttl-Seconds": String(granted) },
    };
  }
}
