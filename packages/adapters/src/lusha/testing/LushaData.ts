/**
 * Deterministic Lusha data shared by the fake server and the in-memory fake
 * Layer: the same seed and company domain always give the same contacts
 * (names, titles, emails, phones, ids), in Lusha's v2 wire shape.
 *
 * @since 0.1.0
 */
import * as Prng from "../../internal/testing/Prng.js"

type NonEmpty<A> = readonly [A, ...Array<A>]

/**
 * A contact in Lusha's wire shape (the `data` of a person answer).
 *
 * @since 0.1.0
 * @category models
 */
export interface WirePerson {
  readonly personId: number
  readonly firstName: string
  readonly lastName: string
  readonly fullName: string
  readonly companyId: number
  readonly jobTitle: { readonly title: string; readonly seniority: string; readonly departments: ReadonlyArray<string> }
  readonly emailAddresses: ReadonlyArray<
    { readonly email: string; readonly emailType: string; readonly emailConfidence: string; readonly updateDate: string }
  >
  readonly phoneNumbers: ReadonlyArray<
    { readonly number: string; readonly phoneType: string; readonly doNotCall: boolean; readonly updateDate: string }
  >
  readonly socialLinks: { readonly linkedin: string }
  readonly company: { readonly name: string; readonly fqdn: string; readonly companySize: readonly [number, number] }
}

const firstNames: NonEmpty<string> = ["Jane", "John", "Maria", "Wei", "Aisha", "Lukas", "Priya", "Tom", "Sofia", "Kenji", "Nora", "Omar"]
const lastNames: NonEmpty<string> = ["Roe", "Tan", "Schmidt", "Garcia", "Lim", "Okafor", "Novak", "Singh", "Berg", "Rossi", "Khan", "Meyer"]
const roles: NonEmpty<readonly [title: string, seniority: string, department: string]> = [
  ["CEO", "C-Level", "General Management"],
  ["CFO", "C-Level", "Finance"],
  ["CTO", "C-Level", "Engineering & Technical"],
  ["VP Sales", "VP", "Sales"],
  ["Head of Marketing", "Director", "Marketing"],
  ["Operations Manager", "Manager", "Operations"],
  ["Software Engineer", "Senior", "Engineering & Technical"],
  ["Account Executive", "Entry", "Sales"]
]

/**
 * The company id Lusha uses for a domain.
 *
 * @since 0.1.0
 * @category data
 */
export const companyIdOf = (seed: number, domain: string): number => 1_000_000 + (Prng.hash(`${seed}:company:${domain}`) % 90_000_000)

/**
 * The company's name, from its domain (`acme-logistics.example` is "Acme Logistics").
 *
 * @since 0.1.0
 * @category data
 */
export const companyNameOf = (domain: string): string =>
  (domain.split(".")[0] ?? domain).split("-").map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(" ")

/**
 * A person at a company with a given name (used for the company's own list
 * and for direct lookups).
 *
 * @since 0.1.0
 * @category data
 */
export const person = (seed: number, domain: string, firstName: string, lastName: string): WirePerson => {
  const prng = Prng.forKey(seed, `person:${domain}:${firstName}:${lastName}`)
  const [title, seniority, department] = Prng.pick(prng, roles)
  const local = `${firstName}.${lastName}`.toLowerCase()
  const phone = `+49 30 ${Prng.int(prng, 1000000, 9999999)}`
  return {
    personId: 100_000_000 + (Prng.hash(`${seed}:${domain}:${local}`) % 900_000_000),
    firstName,
    lastName,
    fullName: `${firstName} ${lastName}`,
    companyId: companyIdOf(seed, domain),
    jobTitle: { title, seniority, departments: [department] },
    emailAddresses: [{ email: `${local}@${domain}`, emailType: "work", emailConfidence: Prng.pick(prng, ["A+", "A", "B"]), updateDate: "2026-03-02" }],
    phoneNumbers: prng() < 0.6
      ? [{ number: phone, phoneType: Prng.pick(prng, ["Direct", "Mobile", "Phone"]), doNotCall: prng() < 0.1, updateDate: "2026-03-02" }]
      : [],
    socialLinks: { linkedin: `https://www.linkedin.com/in/${local.replace(".", "")}${Prng.int(prng, 1, 99)}` },
    company: { name: companyNameOf(domain), fqdn: domain, companySize: Prng.pick(prng, [[11, 50], [51, 200], [201, 500]]) }
  }
}

/**
 * The contacts Lusha knows at a company: 3 to 12, always the same for the
 * same seed and domain.
 *
 * @since 0.1.0
 * @category data
 */
export const contactsAt = (seed: number, domain: string): ReadonlyArray<WirePerson> => {
  const prng = Prng.forKey(seed, `company:${domain}`)
  const count = Prng.int(prng, 3, 12)
  const seen = new Set<string>()
  const out: Array<WirePerson> = []
  while (out.length < count) {
    const first = Prng.pick(prng, firstNames)
    const last = Prng.pick(prng, lastNames)
    if (seen.has(`${first} ${last}`)) continue
    seen.add(`${first} ${last}`)
    out.push(person(seed, domain, first, last))
  }
  return out
}

/**
 * Whether Lusha has data for a named person not in the company's list (half
 * of such lookups miss), deterministic by seed.
 *
 * @since 0.1.0
 * @category data
 */
export const knowsStranger = (seed: number, domain: string, firstName: string, lastName: string): boolean =>
  Prng.forKey(seed, `stranger:${domain}:${firstName}:${lastName}`.toLowerCase())() < 0.5

/**
 * The prospecting id of a contact (a UUID, stable per person).
 *
 * @since 0.1.0
 * @category data
 */
export const prospectIdOf = (seed: number, p: WirePerson): string => Prng.uuid(Prng.forKey(seed, `prospect:${p.personId}`))
