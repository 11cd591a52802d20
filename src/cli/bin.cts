#!/usr/bin/env node
/*
 * The `ship-logs` executable: sizes libuv's thread pool, then runs the CLI
 * (shipLogs.js).
 *
 * zlib compresses on that pool, so its size is how many compressions share
 * the cores. Node's default of four has a 2-core host time-slice four
 * batches' compressions; one thread per core used 2.5-3.5 % less CPU and
 * shipped 1.5-2 % faster in `--once` (bench/RESULTS.md). (Bounding compressions
 * in JavaScript instead was slower: a core idled while each finished one's
 * callback reached the main thread.) At least two threads, so that one slow
 * file operation cannot stop compression; at most four, the default, which
 * is also how many batches compress at once (UPLOAD_SLOTS). An operator's
 * UV_THREADPOOL_SIZE wins.
 *
 * CommonJS, because an ES module runs too late for this: Node's ES module
 * loader reads the entry file through the pool, which starts the pool at its
 * default size before the module's first line.
 */
import os = require("node:os");
import earlySignals = require("./earlySignals.cjs");
import ignoredSignals = require("./ignoredSignals.cjs");

process.env.UV_THREADPOOL_SIZE ??= String(Math.max(2, Math.min(4, os.availableParallelism())));
// Before the CLI's modules load: until a command listens, a stop signal is
// held and the others ignored, where Node's defaults would end the process
// (or open its inspector).
earlySignals.holdSignals();
ignoredSignals.ignoreSignals();
void import("./shipLogs.js");
