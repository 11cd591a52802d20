/** Where the metrics server listens. */
export interface ListenAddress {
  /** A name or an IP address; IPv6 without its brackets. */
  host: string;
  port: number;
}

/**
 * `HOST:PORT` (`127.0.0.1:9464`, `[::1]:9464`, `localhost:80`), or undefined
 * when it is not one. Parsed as a URL of a scheme with no default port: under
 * `http:` a port of 80 would read as none. Port 0 is refused, since it would
 * listen on a port chosen at random, where no scraper would look.
 */
export function parseListenAddress(text: string): ListenAddress | undefined {
  if (/[\s/@?#]/.test(text)) return undefined;
  const url = URL.parse(`listen://${text}`);
  if (url === null || url.hostname === "" || !/^\d+$/.test(url.port)) return undefined;
  const port = Number(url.port);
  return port === 0 ? undefined : { host: url.hostname.replace(/^\[(.*)\]$/, "$1"), port };
}
