import { defineConfig } from "tsup"

// JavaScript only (ESM and CJS); declarations come from tsc (tsconfig.build.json),
// which keeps `const X` + `type X` pairs that tsup's bundled .d.ts drops.
export default defineConfig({
  entry: ["src/index.ts", "src/bin.ts"],
  format: ["esm", "cjs"],
  dts: false,
  sourcemap: true,
  // dist/dts belongs to the declaration build; leave it alone
  clean: ["*.js", "*.cjs", "*.map"],
  target: "node20"
})
