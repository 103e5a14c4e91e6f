// The packages' library build, shared by their tsup.config.ts: JavaScript
// only (ESM and CJS) for Node 20, with source maps; declarations come from
// tsc (tsconfig.build.json, scripts/build-dts.mjs), which keeps
// `const X` + `type X` pairs that tsup's bundled .d.ts drops. Only the
// top level of dist is cleaned: dist/dts (and the runner's dist/cli)
// belong to the other builds.

/**
 * tsup options for a package's library build of `entry`, with `extra` on top.
 *
 * @param {import("tsup").Options["entry"]} entry
 * @param {import("tsup").Options} [extra]
 * @returns {import("tsup").Options}
 */
export const library = (entry, extra = {}) => ({
  entry,
  format: ["esm", "cjs"],
  dts: false,
  sourcemap: true,
  clean: ["*.js", "*.cjs", "*.map"],
  target: "node20",
  ...extra
})
