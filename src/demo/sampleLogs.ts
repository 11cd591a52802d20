/** A few lines of what real hosts write: an nginx access log and a JSON app log. */
export function nginxLines(count: number, start = Date.UTC(2026, 10, 28, 12)): string[] {
  const paths = ["/", "/api/orders", "/api/users/42", "/healthz", "/static/app.js"];
  return Array.from({ length: count }, (_, i) => {
    const when = new Date(start + i * 1000).toISOString();
    const status = i % 17 === 0 ? 500 : i % 5 === 0 ? 404 : 200;
    return `10.0.${i % 256}.${(i * 7) % 256} - - [${when}] "GET ${paths[i % paths.length]} HTTP/1.1" ${status} ${512 + ((i * 131) % 4096)} "-" "curl/8.5.0"`;
  });
}

export function jsonLines(count: number, start = Date.UTC(2026, 10, 28, 12)): string[] {
  const levels = ["info", "info", "info", "warn", "error"];
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify({ time: new Date(start + i * 250).toISOString(), level: levels[i % levels.length], msg: "order processed", orderId: 1000 + i, ms: (i * 37) % 900 }),
  );
}
