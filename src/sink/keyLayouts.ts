/**
 * `--key-layout` names a predefined key template. Both put the instance id in
 * every key (fleet uniqueness) and `hive` spells Hive partitions
 * (`dt=`, `instance=`, `file=`) for Athena (docs/athena/).
 */
export const KEY_LAYOUTS = {
  default: "{prefix}{instance}/{yyyy}-{mm}-{dd}/{file}",
  hive: "{prefix}dt={yyyy}-{mm}-{dd}/instance={instance}/file={file}",
} as const;

export type KeyLayout = keyof typeof KEY_LAYOUTS;
