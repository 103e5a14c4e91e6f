/**
 * Downloads one URL in full, in its own process, reading as fast as it can,
 * and prints `{ status, bytes, lines }` as JSON: the memory test's client,
 * kept out of the server's process so that only the server is measured.
 *
 *   node downloadClient.mjs <url> <token>
 */
import http from "node:http"

const [url, token] = process.argv.slice(2)
http.get(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
  let bytes = 0
  let lines = 0
  res.on("data", (chunk) => {
    bytes += chunk.length
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++
  })
  res.on("end", () => process.stdout.write(JSON.stringify({ status: res.statusCode, bytes, lines })))
}).on("error", (error) => {
  process.stderr.write(String(error))
  process.exitCode = 1
})
