/**
 * Lusha's v2 wire schemas and their mapping to core's `Contact`. The spec
 * spells some fields two ways (`email`/`address`, `emailType`/`type`), so
 * both are accepted.
 *
 * @internal
 */
import { Lusha } from "@leadgraph/core"
import { Schema } from "effect"

const WireEmail = Schema.Struct({
  email: Schema.optional(Schema.String),
  address: Schema.optional(Schema.String),
  emailType: Schema.optional(Schema.String),
  type: Schema.optional(Schema.String),
  emailConfidence: Schema.optional(Schema.String)
})

const WirePhone = Schema.Struct({
  number: Schema.String,
  phoneType: Schema.optional(Schema.String),
  type: Schema.optional(Schema.String),
  doNotCall: Schema.optional(Schema.Boolean)
})

const JobTitle = Schema.Union(
  Schema.String,
  Schema.Struct({
    title: Schema.optional(Schema.String),
    seniority: Schema.optional(Schema.String),
    departments: Schema.optional(Schema.Array(Schema.String))
  })
)

/** The `data` of a person answer (single, bulk or prospecting enrich). @internal */
export const WirePerson = Schema.Struct({
  personId: Schema.optional(Schema.Union(Schema.Number, Schema.String)),
  companyId: Schema.optional(Schema.Union(Schema.Number, Schema.String)),
  firstName: Schema.optional(Schema.String),
  lastName: Schema.optional(Schema.String),
  fullName: Schema.optional(Schema.String),
  jobTitle: Schema.optional(JobTitle),
  seniority: Schema.optional(Schema.Array(Schema.String)),
  departments: Schema.optional(Schema.Array(Schema.String)),
  emailAddresses: Schema.optionalWith(Schema.Array(WireEmail), { default: () => [] }),
  phoneNumbers: Schema.optionalWith(Schema.Array(WirePhone), { default: () => [] }),
  socialLinks: Schema.optional(Schema.Struct({ linkedin: Schema.optional(Schema.String) })),
  companyName: Schema.optional(Schema.String),
  company: Schema.optional(Schema.Struct({ name: Schema.optional(Schema.String), fqdn: Schema.optional(Schema.String) }))
})

/** Decodes a person the fake data generator made (a defect if it does not match). @internal */
export const decodePerson = Schema.decodeUnknownSync(WirePerson)

/** A per-contact error (`EMPTY_DATA` for a miss). @internal */
export const ContactError = Schema.Struct({ code: Schema.Number, name: Schema.String, message: Schema.String })

/** `GET /v2/person`. @internal */
export const PersonResponse = Schema.Struct({
  contact: Schema.Struct({
    error: Schema.NullOr(ContactError),
    isCreditCharged: Schema.Boolean,
    data: Schema.optional(Schema.NullOr(WirePerson))
  })
})

/** `POST /v2/person` (bulk): contacts keyed by our `contactId`, companies by Lusha id. @internal */
export const BulkResponse = Schema.Struct({
  contacts: Schema.Record({
    key: Schema.String,
    value: Schema.Struct({
      error: Schema.NullOr(ContactError),
      isCreditCharged: Schema.Boolean,
      data: Schema.optional(Schema.NullOr(WirePerson))
    })
  }),
  companies: Schema.optionalWith(
    Schema.Record({
      key: Schema.String,
      value: Schema.Struct({
        name: Schema.optional(Schema.String),
        domains: Schema.optional(Schema.Struct({ homepage: Schema.optional(Schema.String) }))
      })
    }),
    { default: () => ({}) }
  )
})

/** A bulk contact's data, with its company filled in from the answer's `companies` map. @internal */
export const withCompany = (
  data: typeof WirePerson.Type,
  companies: typeof BulkResponse.Type["companies"]
): typeof WirePerson.Type => {
  const company = data.companyId === undefined ? undefined : companies[String(data.companyId)]
  if (data.company !== undefined || company === undefined) return data
  return {
    ...data,
    company: {
      ...(company.name === undefined ? {} : { name: company.name }),
      ...(company.domains?.homepage === undefined ? {} : { fqdn: company.domains.homepage })
    }
  }
}

/** A person query as an item of the bulk request. @internal */
export const toBulkItem = (contactId: string, query: Lusha.PersonQuery): Record<string, unknown> =>
  "email" in query
    ? { contactId, email: query.email }
    : "linkedinUrl" in query
    ? { contactId, linkedinUrl: query.linkedinUrl }
    : {
      contactId,
      fullName: `${query.firstName} ${query.lastName}`,
      companies: [{ domain: query.companyDomain, isCurrent: true }]
    }

/** `POST /prospecting/contact/search`. @internal */
export const SearchResponse = Schema.Struct({
  requestId: Schema.String,
  contacts: Schema.Array(Schema.Struct({ contactId: Schema.String, isShown: Schema.optional(Schema.Boolean) }))
})

/** `POST /prospecting/contact/enrich`. @internal */
export const EnrichResponse = Schema.Struct({
  requestId: Schema.String,
  contacts: Schema.Array(Schema.Struct({
    id: Schema.String,
    isSuccess: Schema.Boolean,
    data: Schema.optional(WirePerson)
  }))
})

/** The message of a Lusha error body (`{statusCode, message}` or `{error: {message}}`). @internal */
export const errorDetail = (body: unknown): string | undefined => {
  if (typeof body !== "object" || body === null) return undefined
  if ("message" in body && typeof body.message === "string") return body.message
  if ("error" in body && typeof body.error === "object" && body.error !== null && "message" in body.error) {
    return String(body.error.message)
  }
  return undefined
}

const emailType = (t: string | undefined): "work" | "private" | "unknown" =>
  t === "work" || t === "private" ? t : "unknown"

/** A wire person as core's `Contact`; `id` is used when the data carries no `personId`. @internal */
export const toContact = (wire: typeof WirePerson.Type, id: string): Lusha.Contact => {
  const title = typeof wire.jobTitle === "string" ? { title: wire.jobTitle } : wire.jobTitle ?? {}
  const fullName = wire.fullName ?? [wire.firstName, wire.lastName].filter((s) => s !== undefined).join(" ")
  const seniority = title.seniority ?? wire.seniority?.[0]
  const companyName = wire.company?.name ?? wire.companyName
  return new Lusha.Contact({
    lushaId: wire.personId === undefined ? id : String(wire.personId),
    fullName,
    ...(wire.firstName === undefined ? {} : { firstName: wire.firstName }),
    ...(wire.lastName === undefined ? {} : { lastName: wire.lastName }),
    ...(title.title === undefined ? {} : { jobTitle: title.title }),
    ...(seniority === undefined ? {} : { seniority }),
    departments: title.departments ?? wire.departments ?? [],
    emails: wire.emailAddresses.flatMap((e) => {
      const email = e.email ?? e.address
      return email === undefined ? [] : [{
        email: email.toLowerCase(),
        type: emailType(e.emailType ?? e.type),
        ...(e.emailConfidence === undefined ? {} : { confidence: e.emailConfidence })
      }]
    }),
    phones: wire.phoneNumbers.map((p) => ({ number: p.number, type: p.phoneType ?? p.type ?? "Phone", doNotCall: p.doNotCall ?? false })),
    ...(wire.socialLinks?.linkedin === undefined ? {} : { linkedinUrl: wire.socialLinks.linkedin }),
    ...(companyName === undefined ? {} : { companyName }),
    ...(wire.company?.fqdn === undefined ? {} : { companyDomain: wire.company.fqdn })
  })
}
