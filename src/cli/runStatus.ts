import { OptionValueError, type ShipLogsConfig } from "../config/index.js";
import { StateCorruptError, StateStore, StateTooNewError } from "../source/StateStore.js";
import { buildStatusReport } from "../status/buildStatusReport.js";
import { formatStatusReport } from "../status/formatStatusReport.js";
import { FatalError } from "../errors/FatalError.js";
import { writeOutput } from "./writeOutput.js";

/** `ship-logs status [--json]`: reads the state dir only. Exit 0 when it could be read. */
export async function runStatus(config: ShipLogsConfig): Promise<number> {
  let report;
  try {
    report = await buildStatusReport(new StateStore(config.stateDir));
  } catch (error) {
    if (error instanceof StateCorruptError || error instanceof StateTooNewError) throw new FatalError(error.message);
    const code = (error as NodeJS.ErrnoException).code;
    // As the daemon says it: a file where the directory should be is the configuration's.
    if (code === "ENOTDIR") throw new OptionValueError("stateDir", config.stateDir, "not a directory");
    throw new FatalError(`cannot read state in ${config.stateDir}: ${code ?? String(error)}`);
  }
  writeOutput(1, config.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatusReport(report));
  return 0;
}
