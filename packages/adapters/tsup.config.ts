import { defineConfig } from "tsup"
import { library } from "../../scripts/tsup-library.mjs"

export default defineConfig(library(
  // The parse worker is its own entry: the crawler starts it from the file next
  // to the bundle (dist/parseWorker.js beside index.js, .cjs beside index.cjs).
  { index: "src/index.ts", testing: "src/testing/index.ts", parseWorker: "src/crawler/internal/parseWorker.ts" },
  // In the CJS build, `import.meta.url` becomes the file's own URL (from __filename),
  // which is how the crawler finds parseWorker.cjs.
  { shims: true }
))
