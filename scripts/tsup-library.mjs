// The packages' library build, shared by their tsup.config.ts: JavaScript
// only (ESM and CJS) for Node 20, with source maps; declarations come from
// tsc (tsconfig.build.json, scripts/build-dts.mjs), which keeps
// `const X` + `type X` pairs that tsup's bundled .d.ts drops. tsup's
// `clean` array is added to `**/*` (everything in dist), so the
// declarations (dist/dts) and the runner's binary (dist/cli), which belong
// to the other builds, are kept by negated patterns: with `["*.js", ...]`
// a bare tsup run (`npm run bench` builds that way) deleted them.

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
  clean: ["!dts/**", "!cli/**"],
  target: "node20",
  ...extra
})
