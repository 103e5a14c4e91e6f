/**
 * The in-memory ledger's owners: the contract suite, over one memory store
 * per database.
 */
import { BudgetLedger } from "@leadgraph/core"
import { Effect, Layer } from "effect"
import { suite } from "./BudgetLedgerContract.js"

suite("memory", Layer.empty, (caps) => Effect.map(BudgetLedger.makeMemoryStore(caps), (store) => store))
