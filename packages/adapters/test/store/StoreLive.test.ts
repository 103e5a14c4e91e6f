import { StoreLive } from "@leadgraph/adapters"
import { Layer } from "effect"
import { suite as importSuite } from "../../../core/test/ImportContract.js"
import { suite } from "../../../core/test/StoreContract.js"
import { targets } from "./harness.js"

for (const target of targets("contract")) {
  suite(target.label, StoreLive.layer().pipe(Layer.provide(target.database)))
  importSuite(target.label, StoreLive.layer().pipe(Layer.provide(target.database)))
}
