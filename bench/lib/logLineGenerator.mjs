// @ts-check

/** The backlog's clock starts here, not at the wall clock: the bytes must not depend on when they were made. */
const EPOCH_MS = Date.UTC(2026, 10, 28, 0, 0, 0);

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const METHODS = /** @type {const} */ ([["GET", 70], ["POST", 18], ["PUT", 6], ["DELETE", 3], ["HEAD", 3]]);
const STATUSES = /** @type {const} */ ([[200, 80], [201, 4], [204, 3], [301, 2], [304, 4], [400, 2], [401, 1], [403, 1], [404, 2], [499, 0.5], [500, 0.3], [502, 0.2], [503, 0.1]]);
const ROUTES = [
  "/api/v1/orders/{id}",
  "/api/v1/orders/{id}/items",
  "/api/v1/users/{id}",
  "/api/v1/users/{id}/sessions",
  "/api/v1/cart",
  "/api/v1/search?q={word}&page={n}",
  "/api/v2/catalog/products/{id}?expand=prices,stock",
  "/static/js/app.{hex}.js",
  "/static/css/main.{hex}.css",
  "/healthz",
  "/metrics",
  "/login",
  "/checkout/{id}/confirm",
  "/images/products/{id}/thumb_320.webp",
];
const WORDS = ["shoes", "jacket", "lamp", "coffee", "kettle", "desk", "chair", "monitor", "cable", "backpack", "socks", "tent"];
const REFERRERS = ["-", "-", "https://shop.example.com/", "https://shop.example.com/cart", "https://www.google.com/", "https://shop.example.com/search?q=lamp"];
const AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
  "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
  "curl/8.4.0",
  "ELB-HealthChecker/2.0",
  "Prometheus/2.48.0",
];
const APP_EVENTS = [
  { level: 30, msg: "request completed" },
  { level: 30, msg: "request completed" },
  { level: 30, msg: "request completed" },
  { level: 20, msg: "cache lookup" },
  { level: 30, msg: "order state changed" },
  { level: 40, msg: "slow query" },
  { level: 50, msg: "upstream request failed" },
];
/** "00" … "ff": hex ids are the generator's hottest path. */
const BYTE_HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));
const HOSTS = ["ip-10-0-1-23", "ip-10-0-1-57", "ip-10-0-2-101"];

/**
 * @template T
 * @param {() => number} random
 * @param {readonly (readonly [T, number])[]} table value and weight
 * @returns {() => T}
 */
function weighted(random, table) {
  const total = table.reduce((sum, [, weight]) => sum + weight, 0);
  return () => {
    let pick = random() * total;
    for (const [value, weight] of table) {
      pick -= weight;
      if (pick < 0) return value;
    }
    return /** @type {T} */ (table[table.length - 1]?.[0]);
  };
}

/** @param {number} n */
function pad2(n) {
  return n < 10 ? `0${n}` : String(n);
}

/** nginx's $time_local, in UTC. @param {number} ms */
function nginxTime(ms) {
  const d = new Date(ms);
  return `${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`;
}

/** @typedef {{ ms: number, seq: number }} Stamp epoch ms when the line was appended, and its number */

/**
 * Lines as a web host writes them: nginx "combined" access lines (plus
 * $request_time) mixed with pino-style JSON application lines, about 200 bytes
 * on average. Request ids, addresses and sizes are random, so the text
 * compresses like real logs (gzip -6 to roughly a sixth), not like a repeated template.
 * @param {() => number} random
 * @returns {(stamp?: Stamp) => string} the next line, "\n" included; a stamp (write time and
 *   sequence number, for the latency bench) is embedded as `bench_ts` and `bench_seq`
 */
export function logLineGenerator(random) {
  const method = weighted(random, METHODS);
  const status = weighted(random, STATUSES);
  /** @param {readonly string[]} list */
  const pick = (list) => /** @type {string} */ (list[Math.floor(random() * list.length)]);
  /** @param {number} digits */
  const hex = (digits) => {
    let out = "";
    for (let left = digits; left > 0; left -= 2) out += BYTE_HEX[Math.floor(random() * 256)];
    return digits % 2 === 0 ? out : out.slice(0, digits);
  };
  const id = () => String(1000 + Math.floor(random() ** 2 * 900000));
  /** @type {Record<string, () => string>} */
  const fillers = { id, word: () => pick(WORDS), n: () => String(1 + Math.floor(random() * 5)), hex: () => hex(8) };
  // Each route split once into literal text and the names of its placeholders (odd positions).
  const routes = ROUTES.map((route) => route.split(/\{(\w+)\}/));
  const path = () => {
    const parts = /** @type {string[]} */ (routes[Math.floor(random() * routes.length)]);
    let out = /** @type {string} */ (parts[0]);
    for (let at = 1; at < parts.length; at += 2) out += /** @type {() => string} */ (fillers[/** @type {string} */ (parts[at])])() + parts[at + 1];
    return out;
  };
  const clients = Array.from({ length: 400 }, () => `10.${Math.floor(random() * 4)}.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`);
  let now = EPOCH_MS;
  let second = -1;
  let secondText = "";

  /** @param {Stamp | undefined} stamp */
  const nginx = (stamp) => {
    const whole = Math.floor(now / 1000);
    if (whole !== second) {
      second = whole;
      secondText = nginxTime(whole * 1000);
    }
    const code = status();
    const bytes = code === 204 || code === 304 ? 0 : Math.floor(random() ** 3 * 60000) + 120;
    const seconds = (random() ** 4 * 2).toFixed(3);
    const tail = stamp === undefined ? "" : ` bench_ts=${stamp.ms.toFixed(3)} bench_seq=${stamp.seq}`;
    return `${pick(clients)} - - [${secondText}] "${method()} ${path()} HTTP/1.1" ${code} ${bytes} "${pick(REFERRERS)}" "${pick(AGENTS)}" ${seconds}${tail}\n`;
  };

  /** @param {Stamp | undefined} stamp */
  const app = (stamp) => {
    const event = /** @type {{level: number, msg: string}} */ (APP_EVENTS[Math.floor(random() * APP_EVENTS.length)]);
    const fields = stamp === undefined ? "" : `"bench_ts":${stamp.ms.toFixed(3)},"bench_seq":${stamp.seq},`;
    const base = `{"level":${event.level},"time":${now},${fields}"pid":${4100 + Math.floor(random() * 4)},"hostname":"${pick(HOSTS)}","reqId":"${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}"`;
    switch (event.msg) {
      case "request completed":
        return `${base},"req":{"method":"${method()}","url":"${path()}"},"res":{"statusCode":${status()}},"responseTime":${(random() ** 3 * 900).toFixed(1)},"msg":"request completed"}\n`;
      case "cache lookup":
        return `${base},"cache":"orders","key":"order:${id()}","hit":${random() < 0.8},"msg":"cache lookup"}\n`;
      case "order state changed":
        return `${base},"orderId":${id()},"from":"pending","to":"${pick(["paid", "shipped", "cancelled"])}","msg":"order state changed"}\n`;
      case "slow query":
        return `${base},"db":"orders","durationMs":${500 + Math.floor(random() * 4000)},"sql":"SELECT o.id, o.state, i.sku FROM orders o JOIN items i ON i.order_id = o.id WHERE o.user_id = $1","msg":"slow query"}\n`;
      default:
        return `${base},"err":{"type":"FetchError","message":"request to http://inventory.internal:8080/v1/stock/${id()} failed, reason: connect ECONNREFUSED 10.0.4.12:8080"},"msg":"upstream request failed"}\n`;
    }
  };

  return (stamp) => {
    now += Math.floor(random() * 3);
    return random() < 0.55 ? nginx(stamp) : app(stamp);
  };
}
