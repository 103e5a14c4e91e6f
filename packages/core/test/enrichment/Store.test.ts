import { Store } from "@leadgraph/core"
import { suite } from "../StoreContract.js"

suite("memory", Store.layerMemory())
