/**
 * An in-memory Lusha for fast tests of code that uses the port: the fake server's contacts without HTTP.
 *
 * @since 0.1.0
 */
import { Lusha } from "@leadgraph/core"
import { Effect, Layer, Option } from "effect"
import * as Wire from "../internal/wire.js"
import { defaults } from "../LushaLive.js"
import * as LushaData from "./LushaData.js"

/**
 * An in-memory Lusha with the fake server's deterministic contacts (same
 * seed, same people), for fast tests of code that uses the port. No HTTP,
 * no budget.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: { readonly seed?: number }): Layer.Layer<Lusha.Lusha> => {
  const seed = options?.seed ?? 1
  const toContact = (p: LushaData.WirePerson) => Wire.toContact(Wire.decodePerson(p), String(p.personId))
  const lookup = (query: Lusha.PersonQuery): Option.Option<Lusha.Contact> => {
    if ("email" in query) {
      const domain = query.email.toLowerCase().split("@")[1] ?? ""
      return Option.map(
        Option.fromNullable(
          LushaData.contactsAt(seed, domain).find((p) => p.emailAddresses.some((e) => e.email === query.email.toLowerCase()))
        ),
        toContact
      )
    }
    if ("linkedinUrl" in query) return Option.none()
    const domain = query.companyDomain.toLowerCase()
    const known = LushaData.contactsAt(seed, domain).find((p) =>
      p.firstName.toLowerCase() === query.firstName.toLowerCase() && p.lastName.toLowerCase() === query.lastName.toLowerCase()
    )
    if (known !== undefined) return Option.some(toContact(known))
    return LushaData.knowsStranger(seed, domain, query.firstName, query.lastName)
      ? Option.some(toContact(LushaData.person(seed, domain, query.firstName, query.lastName)))
      : Option.none()
  }
  return Layer.succeed(Lusha.Lusha, {
    findContacts: (search) => {
      const wanted = (values: ReadonlyArray<string> | undefined) => values?.map((v) => v.toLowerCase())
      const seniorities = wanted(search.seniorities)
      const departments = wanted(search.departments)
      return Effect.sync(() =>
        LushaData.contactsAt(seed, search.domain.toLowerCase())
          .filter((p) =>
            (seniorities === undefined || seniorities.includes(p.jobTitle.seniority.toLowerCase())) &&
            (departments === undefined || p.jobTitle.departments.some((d) => departments.includes(d.toLowerCase())))
          )
          .slice(0, search.limit ?? defaults.limit)
          // Prospecting answers carry Lusha's prospect id, not the person id.
          .map((p) => new Lusha.Contact({ ...toContact(p), lushaId: LushaData.prospectIdOf(seed, p) }))
      )
    },
    lookupPerson: (query) => Effect.sync(() => lookup(query)),
    lookupPeople: (queries) => Effect.sync(() => queries.map(lookup))
  })
}
