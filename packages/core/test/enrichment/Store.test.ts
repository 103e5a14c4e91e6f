import { Store } from "@leadgraph/core"
import { suite as importSuite } from "../ImportContract.js"
import { suite } from "../StoreContract.js"

suite("memory", Store.layerMemory())
importSuite("memory", Store.layerMemory())
