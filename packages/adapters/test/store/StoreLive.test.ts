import { StoreLive } from "@leadgraph/adapters"
import { Layer } from "effect"
import { suite } from "../../../core/test/StoreContract.js"
import { targets } from "./harness.js"

for (const target of targets("contract")) {
  suite(target.label, StoreLive.layer().pipe(Layer.provide(target.database)))
}
