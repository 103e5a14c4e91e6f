#!/usr/bin/env node
// Runs one benchmark suite: `npm run bench -- <suite> [args]` builds the
// packages' JavaScript (as users get it) and runs bench/<suite>.ts with tsx
// against those builds.
import { spawnSync } from "node:child_process"
import { readdirSync } from "node:fs"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const suites = readdirSync(new URL("../bench", import.meta.url))
  .filter((f) => f.endsWith(".ts"))
  .map((f) => f.slice(0, -3))
const [suite, ...rest] = process.argv.slice(2)
if (!suite || !suites.includes(suite)) {
  console.error(`usage: npm run bench -- <suite> [args]\nsuites: ${suites.join(", ") || "(none)"}`)
  process.exit(2)
}
const run = (cmd, args, env = {}, cwd = root) => {
  const r = spawnSync(cmd, args, { cwd, stdio: "inherit", env: { ...process.env, ...env } })
  if (r.status !== 0) process.exit(r.status ?? 1)
}
const tsup = fileURLToPath(new URL("../node_modules/tsup/dist/cli-default.js", import.meta.url))
for (const pkg of ["core", "adapters", "runner"]) {
  run(process.execPath, [tsup, "--silent"], {}, `${root}packages/${pkg}`)
}
run(process.execPath, ["--expose-gc", "--import", "tsx", `bench/${suite}.ts`, ...rest], {
  TSX_TSCONFIG_PATH: "bench/tsconfig.json"
})
