import { Store } from "@leadgraph/core"
import { suite } from "../RunDayContract.js"

suite("memory", Store.layerMemory())
