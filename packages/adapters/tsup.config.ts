import { defineConfig } from "tsup"

// JavaScript only (ESM and CJS); declarations come from tsc (tsconfig.build.json),
// which keeps `const X` + `type X` pairs that tsup's bundled .d.ts drops.
export default defineConfig({
  // The parse worker is its own entry: the crawler starts it from the file next
  // to the bundle (dist/parseWorker.js beside index.js, .cjs beside index.cjs).
  entry: { index: "src/index.ts", testing: "src/testing/index.ts", parseWorker: "src/crawler/internal/parseWorker.ts" },
  format: ["esm", "cjs"],
  dts: false,
  sourcemap: true,
  // In the CJS build, `import.meta.url` becomes the file's own URL (from __filename),
  // which is how the crawler finds parseWorker.cjs.
  shims: true,
  // dist/dts belongs to the declaration build; leave it alone
  clean: ["*.js", "*.cjs", "*.map"],
  target: "node20"
})
