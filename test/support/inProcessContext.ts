import { pino } from "pino";
import { BatchBuffers } from "../../src/batch/BatchBuffers.js";
import { Semaphore } from "../../src/ship/Semaphore.js";
import { emptyStats, type ShipContext } from "../../src/ship/ShipContext.js";
import { StateSaver } from "../../src/ship/StateSaver.js";
import type { ShipState, StateStore } from "../../src/source/StateStore.js";

/** A shipping context for in-process tests: 4 KiB batches, no compression, quiet, keys by range; `parts` override. */
export function inProcessContext(store: StateStore, state: ShipState, parts: Partial<ShipContext> & Pick<ShipContext, "sink">): ShipContext {
  return {
    state,
    saver: new StateSaver(store, state),
    slots: new Semaphore(4),
    buffers: new BatchBuffers(4096, 4),
    logger: pino({ level: "silent" }),
    batchMaxBytes: 4096,
    compression: "none",
    compressionLevel: 6,
    keyFor: (checkpoint, start, end) => `${checkpoint.sourceId}/${start}-${end}`,
    stats: emptyStats(),
    ...parts,
  };
}
