import { defineConfig } from "tsup"
import { library } from "../../scripts/tsup-library.mjs"

export default defineConfig(library(["src/index.ts"]))
