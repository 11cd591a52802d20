// @ts-check
import { fixed } from "./formatTable.mjs";

/**
 * @typedef {object} TargetResult
 * @property {string} name
 * @property {string} goal e.g. "≤ 12 s/GiB"
 * @property {number} value
 * @property {string} unit
 * @property {boolean} met
 * @property {string} margin how far inside or outside the goal, as a share of it
 */

/**
 * A target of the issue checked against one figure. `atMost` targets are met
 * at or below the limit, the others at or above it; `strict` ones only below / above.
 * @param {{ name: string, value: number, limit: number, atMost: boolean, strict?: boolean, unit: string, digits?: number }} spec
 * @returns {TargetResult}
 */
export function checkTarget({ name, value, limit, atMost, strict = false, unit, digits = 2 }) {
  const inside = atMost ? value < limit || (!strict && value === limit) : value > limit || (!strict && value === limit);
  const met = Number.isFinite(value) && inside;
  const share = ((atMost ? limit - value : value - limit) / limit) * 100;
  return {
    name,
    goal: `${atMost ? (strict ? "<" : "≤") : strict ? ">" : "≥"} ${fixed(limit, digits)} ${unit}`.trim(),
    value,
    unit,
    met,
    margin: Number.isFinite(value) ? `${met ? "met" : "MISSED"} by ${fixed(Math.abs(share), 0)} %` : "not measured",
  };
}

/** @param {readonly TargetResult[]} targets @returns {string[][]} */
export function targetRows(targets) {
  return targets.map((t) => [t.name, t.goal, `${fixed(t.value, 2)} ${t.unit}`.trim(), t.margin]);
}
