import type { ExpiredByHostClock } from "../credentials/CredentialCache.js";
import type { CheckResult } from "./CheckResult.js";
import type { UploadCheck } from "./checkUpload.js";

const SYNC_CLOCK =
  "set the host's clock right: enable NTP (chronyc tracking; timedatectl set-ntp true; on EC2 the Amazon Time Sync Service, 169.254.169.123); object keys and log times follow this host's clock";

/**
 * The credentials line for keys that this host's clock says have expired,
 * which the shipper uses anyway (a fast clock, most likely; see
 * CredentialCache). Not "attach an instance profile": there is one, and its
 * keys are fine. After the probe, S3's answer settles it: keys S3 took mean
 * a fast clock (a warning: shipping works, the clock needs fixing); keys S3
 * refused as expired mean a provider that hands out expired keys.
 */
export function clockAheadResult(keyLine: string, expired: ExpiredByHostClock, probe?: { upload: UploadCheck; s3ClockOffsetMs: number }): CheckResult {
  const seconds = Math.round(expired.expiredByMs / 1000);
  const looked = `${keyLine}: ${seconds} s before this host's clock says it is now`;
  if (probe?.upload.failure === undefined && probe !== undefined) {
    const behind = probe.s3ClockOffsetMs < 0 ? ` (its clock is ${Math.round(-probe.s3ClockOffsetMs / 1000)} s behind this host's)` : "";
    return { name: "credentials", status: "warn", detail: `${looked}; S3 took them${behind}: this host's clock is ahead`, fix: SYNC_CLOCK };
  }
  if (probe?.upload.failure?.class === "credentials") {
    return {
      name: "credentials",
      status: "fail",
      detail: `${looked}, and S3 refused them too`,
      fix: "the credentials provider hands out credentials that have expired: with an instance profile, detach and re-attach it (docs/iam); with --credentials chain, renew the profile's credentials; and check this host's clock",
    };
  }
  return { name: "credentials", status: "warn", detail: `${looked}: is the host's clock ahead (chrony/NTP)? the shipper uses them, and S3's answers correct its clock`, fix: SYNC_CLOCK };
}
