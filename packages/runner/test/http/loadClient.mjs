/**
 * A small keep-alive load generator: `connections` loops, each sending the
 * next GET as soon as the previous answer has been read in full, for
 * `seconds`. Checks every answer (status 200, the expected number of rows)
 * and prints requests per second and latency percentiles.
 *
 *   node loadClient.mjs <url> <token> <seconds> <connections> <rows>
 */
import http from "node:http"

const [url, token, secondsArg, connectionsArg, rowsArg] = process.argv.slice(2)
const seconds = Number(secondsArg)
const connections = Number(connectionsArg)
const rows = Number(rowsArg)
const agent = new http.Agent({ keepAlive: true, maxSockets: connections })
const latencies = []
let errors = 0
let bytes = 0

const once = () =>
  new Promise((resolve) => {
    const start = process.hrtime.bigint()
    const req = http.get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let newlines = 0
      res.on("data", (chunk) => {
        bytes += chunk.length
        for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) newlines++
      })
      res.on("end", () => {
        const ms = Number(process.hrtime.bigint() - start) / 1e6
        // "[", one line per row, "]"
        if (res.statusCode === 200 && newlines === rows + 2) latencies.push(ms)
        else errors++
        resolve()
      })
    })
    req.on("error", () => {
      errors++
      resolve()
    })
  })

const deadline = Date.now() + seconds * 1000
const loop = async () => {
  while (Date.now() < deadline) await once()
}
const started = Date.now()
await Promise.all(Array.from({ length: connections }, loop))
const elapsed = (Date.now() - started) / 1000
agent.destroy()
latencies.sort((a, b) => a - b)
const q = (p) => latencies.length === 0 ? 0 : latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)]
console.log(
  `requests: ${latencies.length} ok, ${errors} errors in ${elapsed.toFixed(1)} s = ${(latencies.length / elapsed).toFixed(0)} req/s; ` +
    `${(bytes / elapsed / 1e6).toFixed(1)} MB/s\n` +
    `latency ms: p50 ${q(0.5).toFixed(1)}, p90 ${q(0.9).toFixed(1)}, p99 ${q(0.99).toFixed(1)}, max ${q(1).toFixed(1)}`
)
