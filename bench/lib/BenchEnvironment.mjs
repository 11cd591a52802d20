// @ts-check
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { BenchSink } from "./BenchSink.mjs";
import { BenchUsageError } from "./BenchUsageError.mjs";
import { productCli } from "./productCommand.mjs";

/**
 * The slice of the product's FakeImds the bench uses.
 * @typedef {{ endpoint: string, close(): Promise<void> }} Imds
 */

/**
 * What every mode needs: a scratch directory, the local S3 sink and the
 * product's own fake IMDS (from its dist/, so the bench tests the IMDSv2 path
 * the product really takes).
 */
export class BenchEnvironment {
  /**
   * @param {{ productDir: string, nodeFlags: readonly string[], workDir: string, keep: boolean, sink: BenchSink, imds: Imds }} parts
   */
  constructor({ productDir, nodeFlags, workDir, keep, sink, imds }) {
    this.productDir = productDir;
    /** Extra node flags for every product run (--node-flags). */
    this.nodeFlags = nodeFlags;
    this.workDir = workDir;
    this.keep = keep;
    this.sink = sink;
    this.imds = imds;
    this.bucket = "bench-logs";
  }

  /**
   * @param {{ productDir: string, nodeFlags: readonly string[], tmpRoot: string, keep: boolean }} options
   * @returns {Promise<BenchEnvironment>}
   */
  static async start({ productDir, nodeFlags, tmpRoot, keep }) {
    const imdsModule = join(productDir, "dist/fakes/imds/FakeImds.js");
    if (!existsSync(join(productDir, "package.json")) || !existsSync(productCli(productDir)) || !existsSync(imdsModule)) {
      throw new BenchUsageError(`${productDir} has no built product (its ship-logs executable and dist/fakes): run npm run build first`);
    }
    const { FakeImds } = /** @type {{ FakeImds: { start(options: { region: string }): Promise<Imds> } }} */ (
      await import(pathToFileURL(imdsModule).href)
    );
    mkdirSync(tmpRoot, { recursive: true });
    const workDir = mkdtempSync(join(tmpRoot, "run-"));
    const imds = await FakeImds.start({ region: "us-east-1" });
    const sink = await BenchSink.start();
    return new BenchEnvironment({ productDir, nodeFlags, workDir, keep, sink, imds });
  }


  /** A fresh, empty directory under the run's scratch space. @param {string} name */
  freshDir(name) {
    const dir = join(this.workDir, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** @param {string} name */
  removeDir(name) {
    if (!this.keep) rmSync(join(this.workDir, name), { recursive: true, force: true });
  }

  async close() {
    await Promise.allSettled([this.sink.close(), this.imds.close()]);
    if (this.keep) process.stderr.write(`bench: kept ${this.workDir}\n`);
    else rmSync(this.workDir, { recursive: true, force: true });
  }
}
