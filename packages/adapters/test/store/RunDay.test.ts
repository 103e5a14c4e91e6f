/**
 * The store's day-based reads on PGlite and Postgres: the run day contract
 * (counted and skipped by the local day in its zone, DST days included).
 */
import { StoreLive } from "@leadgraph/adapters"
import { Layer } from "effect"
import { suite } from "../../../core/test/RunDayContract.js"
import { targets } from "./harness.js"

for (const target of targets("run_day")) {
  suite(target.label, StoreLive.layer().pipe(Layer.provide(target.database)))
}
