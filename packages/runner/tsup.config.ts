import { defineConfig } from "tsup"
import { library } from "../../scripts/tsup-library.mjs"

export default defineConfig([
  // the library, its dependencies left to the user's install
  library(["src/index.ts"]),
  // The `leadgraph` executable: one ESM file with its dependencies in it, so
  // a command starts without resolving and loading over 1,200 module files
  // (`--help` in about 1.2 s instead of 2.7 s on this machine). PGlite stays
  // outside: it loads its WebAssembly and data files from its own folder.
  // The crawler's parse worker is built beside it, where the bundled crawler
  // looks for it (`parseWorker.js` next to the file it runs from).
  {
    entry: { bin: "src/bin.ts", parseWorker: "../adapters/src/crawler/internal/parseWorker.ts" },
    outDir: "dist/cli",
    format: ["esm"],
    dts: false,
    sourcemap: false,
    clean: true,
    splitting: true,
    target: "node20",
    // every import but PGlite's (and pg's optional native binding), which
    // tsup would otherwise leave to the install
    noExternal: [/^(?!@electric-sql\/pglite|pg-native)/],
    external: [/^@electric-sql\/pglite/, "pg-native"],
    // bundled CommonJS dependencies (pg, among others) call `require` for
    // Node's built-in modules, which an ES module does not have
    banner: { js: "import { createRequire as __leadgraphRequire } from \"node:module\"; const require = __leadgraphRequire(import.meta.url);" }
  }
])
