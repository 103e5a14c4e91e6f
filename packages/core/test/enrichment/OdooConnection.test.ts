import { Store } from "@leadgraph/core"
import { suite } from "../OdooConnectionContract.js"

suite("memory", Store.layerMemory())
