/** Node's codes for a certificate it does not trust. */
const UNTRUSTED = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** Node's codes for a certificate outside its validity: an expired one, or a host clock that is wrong. */
const OUT_OF_DATE = new Set(["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID"]);

/**
 * What to do about a TLS failure with an `https://` `--endpoint`, or
 * undefined when `code` is not one. These are not S3's codes, and no
 * resend cures them.
 */
export function tlsAdvice(code: string): string | undefined {
  if (UNTRUSTED.has(code)) {
    return "the endpoint's TLS certificate is not trusted: give its CA to Node with NODE_EXTRA_CA_CERTS=/path/to/ca.pem (the unit's Environment=), or correct the host name in --endpoint";
  }
  if (OUT_OF_DATE.has(code)) return "the endpoint's TLS certificate is expired or not yet valid: renew it, or check the host clock";
  if (code === "EPROTO") return "the TLS handshake failed: does --endpoint say https:// for a plain-HTTP server?";
  return undefined;
}

/** Whether `code` is a TLS failure that only an operator can fix. */
export function isTlsFailure(code: string): boolean {
  return tlsAdvice(code) !== undefined && code !== "EPROTO";
}
