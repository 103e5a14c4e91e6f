/**
 * What the Lusha adapter keeps in core's `PaidResults`: the kinds, the keys
 * (a SHA-256 of what was asked), the Schemas of the kept answers, and the
 * reading of Lusha's answers into what is kept and what was charged.
 *
 * @internal
 */
import { Lusha, PaidResults } from "@leadgraph/core"
import type { Duration } from "effect"
import { Option, Schema } from "effect"
import { createHash } from "node:crypto"
import * as Wire from "./wire.js"

/** The names of the kinds of kept answers (versioned: a new format gets a new name). @internal */
export const names = {
  enrich: "lusha.enrich/v1",
  person: "lusha.person/v1",
  people: "lusha.people/v1"
} as const

const sha256 = (material: unknown): string => createHash("sha256").update(JSON.stringify(material)).digest("hex")

/** The key of an enrich: its contact ids, in any order. @internal */
export const enrichKey = (ids: ReadonlyArray<string>): string => sha256([...ids].sort())

/** The key of a person query: its fields, in a canonical order. @internal */
export const queryKey = (query: Lusha.PersonQuery): string =>
  sha256(Object.entries(query).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

/** An enrich's contacts. @internal */
export const Contacts = Schema.Array(Lusha.Contact)

/** A lookup's answer: a contact, or none (`null` when kept). @internal */
export const MaybeContact = Schema.OptionFromNullOr(Lusha.Contact)

/** The kinds of kept answers, kept for the run that paid, for `ttl`. @internal */
export const kinds = (ttl?: Duration.DurationInput) => ({
  enrich: PaidResults.kind(names.enrich, Contacts, { ttl }),
  person: PaidResults.kind(names.person, MaybeContact, { ttl }),
  people: PaidResults.kind(names.people, MaybeContact, { ttl })
})

/** One lookup's answer; `error` (not kept) when Lusha refused that query. @internal */
export interface Answer {
  readonly contact: Option.Option<Lusha.Contact>
  readonly error: string | undefined
}

type WireEntry = typeof Wire.PersonResponse.Type["contact"]

const answerOf = (entry: WireEntry | undefined, toContact: (data: typeof Wire.WirePerson.Type) => Lusha.Contact): Answer => {
  if (entry === undefined) return { contact: Option.none(), error: "no answer" }
  if (entry.error !== null && entry.error.name !== "EMPTY_DATA") {
    return { contact: Option.none(), error: `${entry.error.name}: ${entry.error.message}` }
  }
  return {
    contact: entry.error === null && entry.data !== undefined && entry.data !== null
      ? Option.some(toContact(entry.data))
      : Option.none(),
    error: undefined
  }
}

/** A single lookup's answer and whether Lusha charged for it. @internal */
export const personAnswer = (response: typeof Wire.PersonResponse.Type): Answer & { readonly charged: boolean } => ({
  ...answerOf(response.contact, (data) => Wire.toContact(data, "unknown")),
  charged: response.contact.isCreditCharged
})

/** A bulk lookup's answers, in the order of `ids`, and how many Lusha charged for. @internal */
export const bulkAnswers = (
  response: typeof Wire.BulkResponse.Type,
  ids: ReadonlyArray<string>
): { readonly answers: ReadonlyArray<Answer>; readonly charged: number } => ({
  answers: ids.map((id) =>
    answerOf(response.contacts[id], (data) => Wire.toContact(Wire.withCompany(data, response.companies), id))
  ),
  charged: Object.values(response.contacts).filter((x) => x.isCreditCharged).length
})
