/** Milliseconds since the epoch; injectable so tests can move time without waiting. */
export type Clock = () => number;
