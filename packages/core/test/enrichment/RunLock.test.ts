import { Store } from "@leadgraph/core"
import { suite } from "../RunLockContract.js"

suite("memory", Store.layerMemory())
