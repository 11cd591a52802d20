#!/usr/bin/env node
// First: it sets a V8 flag that must hold before other modules allocate.
import "./capYoungGeneration.js";
import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import { loadConfig, OptionValueError, renderHelp, type Command, type ShipLogsConfig } from "../config/index.js";
import { createLogger } from "../log/createLogger.js";
import earlySignals from "./earlySignals.cjs";
import { failureReport } from "./failureReport.js";
import ignoredSignals from "./ignoredSignals.cjs";
import { warnLoosePermissions } from "./warnLoosePermissions.js";
import { writeOutput } from "./writeOutput.js";

// The SDK prints a Node-version notice on Node 20; the daemon's stderr is the
// operator's journal, not a place for it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

function version(): string {
  const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return manifest.version;
}

async function main(argv: readonly string[]): Promise<number> {
  const loaded = await loadConfig(argv, process.env);
  if (loaded.kind !== "run" || loaded.command !== "run") reraiseHeldSignal();
  if (loaded.kind === "help") {
    writeOutput(1, renderHelp());
    return 0;
  }
  if (loaded.kind === "version") {
    writeOutput(1, `ship-logs ${version()}\n`);
    return 0;
  }
  const { config } = loaded;
  const logger = createLogger({ level: config.logLevel });
  ignoredSignals.reportIgnoredSignals(logger);
  await warnLoosePermissions(config.configFile, logger);
  try {
    return await runCommand(loaded.command, config, logger);
  } catch (error) {
    throw error instanceof OptionValueError ? error.named(loaded.nameOf) : error;
  }
}

/**
 * For what does not listen for a stop (--help, status, check): Node's own
 * end by the signal, as if nothing had held it.
 */
function reraiseHeldSignal(): void {
  const held = earlySignals.releaseSignals();
  if (held !== undefined) process.kill(process.pid, held);
}

/**
 * Each command loads only its own modules: --once starts shipping without
 * the watcher and the metrics, status without the SDK (module loading is
 * most of a --once's startup, while a core would rather compress).
 */
async function runCommand(command: Command, config: ShipLogsConfig, logger: Logger): Promise<number> {
  switch (command) {
    case "status":
      return (await import("./runStatus.js")).runStatus(config);
    case "check":
      return (await import("./runCheck.js")).runCheck(config, logger);
    case "run":
      return config.once
        ? (await import("./runOnce.js")).runOnce(config, logger)
        : (await import("./runDaemon.js")).runDaemon(config, logger);
  }
}

/**
 * Once the command is done, how long whatever it abandoned (an IMDS answer
 * stalled midway, a hung credential_process after a stop) may still hold the
 * process open. Everything that must be written is written by then.
 */
const LINGER_AFTER_DONE_MS = 1_000;

main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      const { line, exitCode } = failureReport(error);
      writeOutput(2, `${line}\n`);
      process.exitCode = exitCode;
    },
  )
  // Unref'd: a process with nothing left running ends at once, as usual.
  .finally(() => setTimeout(() => process.exit(), LINGER_AFTER_DONE_MS).unref());
