// @ts-check
import { gunzipSync } from "node:zlib";

/** @typedef {import("./BenchSink.mjs").BenchSink} BenchSink */

const STAMP = /bench_ts[=":]+(\d+(?:\.\d+)?)[ ,"]+bench_seq[=":]+(\d+)/;

/**
 * Reads the objects the sink has received since the last call and, for every
 * stamped line in them, the time from its append to its object's arrival.
 * Each sequence number must turn up exactly once.
 */
export class LatencyCollector {
  /** @type {Set<string>} */
  #seenKeys = new Set();
  /** @type {Set<number>} */
  #seenSeq = new Set();
  /** @type {number[]} milliseconds, one per stamped line */
  latencies = [];
  duplicates = 0;
  unstamped = 0;
  objects = 0;

  /** @param {BenchSink} sink */
  constructor(sink) {
    this.sink = sink;
  }

  /** Objects already in the sink (e.g. the probe) do not count. */
  ignoreExisting() {
    for (const object of this.sink.objects()) this.#seenKeys.add(`${object.bucket}/${object.key}`);
  }

  get lines() {
    return this.#seenSeq.size;
  }

  collect() {
    for (const object of this.sink.objects()) {
      const id = `${object.bucket}/${object.key}`;
      if (this.#seenKeys.has(id)) continue;
      this.#seenKeys.add(id);
      this.objects += 1;
      const text = (object.key.endsWith(".gz") ? gunzipSync(object.body) : object.body).toString("latin1");
      for (const line of text.split("\n")) {
        if (line === "") continue;
        const match = STAMP.exec(line);
        if (!match) {
          this.unstamped += 1;
          continue;
        }
        const seq = Number(match[2]);
        if (this.#seenSeq.has(seq)) {
          this.duplicates += 1;
          continue;
        }
        this.#seenSeq.add(seq);
        this.latencies.push(object.arrivedAt - Number(match[1]));
      }
    }
  }

  /** Sequence numbers in [0, count) that never arrived. @param {number} count */
  missing(count) {
    let missing = 0;
    for (let seq = 0; seq < count; seq += 1) if (!this.#seenSeq.has(seq)) missing += 1;
    return missing;
  }
}
