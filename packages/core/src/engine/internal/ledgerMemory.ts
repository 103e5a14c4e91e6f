/**
 * The state of the in-memory budget ledger and its pure transitions: counts
 * per budget and day, open reservations with their owners, how closed ones
 * were settled, and each owner's lease end.
 *
 * @internal
 */
import type { Day, Reservation, Settlement, Usage } from "../BudgetLedger.js"

/** @internal */
export interface Account {
  readonly reserved: number
  readonly committed: number
  readonly inFlightAtCrash: number
}

/** @internal */
export interface Open extends Reservation {
  readonly key: string
  readonly owner: string
}

/** @internal */
export interface Closed {
  readonly key: string
  readonly budget: string
  readonly owner: string
  readonly units: number
  readonly as: Settlement
  readonly used: number | undefined
}

/** @internal */
export interface State {
  readonly accounts: ReadonlyMap<string, Account>
  readonly open: ReadonlyMap<string, Open>
  readonly closed: ReadonlyMap<string, Closed>
  /** Each owner's lease end (epoch millis). */
  readonly owners: ReadonlyMap<string, number>
  /** The run of each owner that has one. */
  readonly runs: ReadonlyMap<string, string>
  readonly seq: number
}

/** @internal */
export const empty: State = { accounts: new Map(), open: new Map(), closed: new Map(), owners: new Map(), runs: new Map(), seq: 0 }

/** @internal */
export const keyOf = (budget: string, day: Day): string => `${budget}\u0000${day.date}`

/** @internal */
export const none: Account = { reserved: 0, committed: 0, inFlightAtCrash: 0 }

/** @internal */
export const toUsage = (budget: string, cap: number, a: Account): Usage => ({
  budget,
  cap,
  reserved: a.reserved,
  committed: a.committed,
  ...(a.inFlightAtCrash > 0 ? { inFlightAtCrash: a.inFlightAtCrash } : {})
})

/**
 * Settles, as spent, the open reservations of `budget` (any day) whose
 * owner's lease ended before `now`.
 *
 * @internal
 */
export const settleDead = (s: State, budget: string, now: number): State => {
  const dead = [...s.open.values()].filter((r) => r.budget === budget && (s.owners.get(r.owner) ?? -Infinity) < now)
  if (dead.length === 0) return s
  const accounts = new Map(s.accounts)
  const open = new Map(s.open)
  const closed = new Map(s.closed)
  for (const r of dead) {
    const a = accounts.get(r.key) ?? none
    accounts.set(r.key, {
      reserved: Math.max(0, a.reserved - r.units),
      committed: a.committed + r.units,
      inFlightAtCrash: a.inFlightAtCrash + 1
    })
    open.delete(r.id)
    closed.set(r.id, { key: r.key, budget: r.budget, owner: r.owner, units: r.units, as: "in_flight_at_crash", used: undefined })
  }
  return { ...s, accounts, open, closed }
}

/**
 * Closes a reservation by its owner with `used` units (0 releases it). A
 * reservation already settled as in flight at a crash takes the owner's
 * late report once: only units beyond the reservation are new.
 *
 * @internal
 */
export const settle = (s: State, id: string, used: number): State => {
  const r = s.open.get(id)
  if (r !== undefined) {
    const a = s.accounts.get(r.key) ?? none
    const open = new Map(s.open)
    open.delete(id)
    return {
      ...s,
      open,
      accounts: new Map(s.accounts).set(r.key, { ...a, reserved: Math.max(0, a.reserved - r.units), committed: a.committed + used }),
      closed: new Map(s.closed).set(id, { key: r.key, budget: r.budget, owner: r.owner, units: r.units, as: used > 0 ? "committed" : "released", used })
    }
  }
  const c = s.closed.get(id)
  if (c === undefined || c.as !== "in_flight_at_crash" || c.used !== undefined) return s
  const a = s.accounts.get(c.key) ?? none
  return {
    ...s,
    accounts: new Map(s.accounts).set(c.key, { ...a, committed: a.committed + Math.max(0, used - c.units) }),
    closed: new Map(s.closed).set(id, { ...c, used })
  }
}

/**
 * The units a run has used or holds on a budget, over all its owners (its
 * earlier attempts too): open reservations at their units, committed ones
 * at their use, those settled as in flight at a crash at the larger of
 * the two.
 *
 * @internal
 */
export const runUsed = (s: State, runId: string, budget: string): number => {
  const ofRun = (owner: string) => s.runs.get(owner) === runId
  let used = 0
  for (const r of s.open.values()) if (r.budget === budget && ofRun(r.owner)) used += r.units
  for (const c of s.closed.values()) {
    if (c.budget !== budget || !ofRun(c.owner)) continue
    used += c.as === "in_flight_at_crash" ? Math.max(c.units, c.used ?? 0) : c.as === "committed" ? c.used ?? 0 : 0
  }
  return used
}
