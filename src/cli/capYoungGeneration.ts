import { setFlagsFromString } from "node:v8";

/*
 * Keeps V8's young generation at its initial size (1 MiB semi-spaces) instead
 * of letting it grow to 16 MiB ones. Each upload leaves short-lived SDK
 * garbage; a growing young generation keeps the space it grew to: the daemon
 * climbed from 80 to 95 MiB RSS over five minutes at 1 000 lines/s with a live
 * heap of 16 MiB (bench/RESULTS.md). More frequent scavenges cost no CPU
 * measurable in bench/. It is set here, at run time, because a bin cannot
 * pass node flags and NODE_OPTIONS belongs to the operator; V8 reads this flag
 * at each growth decision, so it must run before any other module allocates:
 * it is the first import of the CLI (after bin.cts, which allocates next to
 * nothing). It works on Node 20, 22 and 24 alike
 * (test/e2e/youngGeneration.test.ts runs on each in CI); the systemd unit's
 * NODE_OPTIONS=--max-semi-space-size=1 makes the same cap a start-up setting.
 */
setFlagsFromString("--semi-space-growth-factor=1");
