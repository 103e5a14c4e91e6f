/**
 * Deterministic ZeroBounce verdicts shared by the fake server and the
 * in-memory fake Layer: the same seed and address always get the same
 * verdict. Addresses at `example.com` follow ZeroBounce's sandbox table
 * (`valid@`, `invalid@`, `catch_all@`, `unknown@`, `<sub_status>@`...) and
 * cost nothing; other addresses get a verdict drawn from the seed.
 *
 * @since 0.1.0
 */
import * as Prng from "../../internal/testing/Prng.js"

/**
 * A verdict in ZeroBounce's wire shape (`mx_found` and `domain_age_days` are
 * strings, as on the real API).
 *
 * @since 0.1.0
 * @category models
 */
export interface WireVerdict {
  readonly address: string
  readonly status: string
  readonly sub_status: string
  readonly free_email: boolean
  readonly did_you_mean: string | null
  readonly account: string
  readonly domain: string
  readonly domain_age_days: string
  readonly smtp_provider: string
  readonly mx_found: string
  readonly mx_record: string
  readonly firstname: string | null
  readonly lastname: string | null
  readonly gender: string | null
  readonly country: string | null
  readonly region: string | null
  readonly city: string | null
  readonly zipcode: string | null
  readonly processed_at: string
}

const sandbox: Readonly<Record<string, readonly [string, string]>> = {
  valid: ["valid", ""],
  invalid: ["invalid", "mailbox_not_found"],
  catch_all: ["catch-all", ""],
  unknown: ["unknown", "mail_server_temporary_error"],
  spamtrap: ["spamtrap", ""],
  abuse: ["abuse", ""],
  donotmail: ["do_not_mail", "role_based"],
  disposable: ["do_not_mail", "disposable"],
  toxic: ["do_not_mail", "toxic"],
  greylisted: ["unknown", "greylisted"],
  mailbox_not_found: ["invalid", "mailbox_not_found"],
  no_dns_entries: ["invalid", "no_dns_entries"],
  role_based: ["do_not_mail", "role_based"],
  timeout_exceeded: ["unknown", "timeout_exceeded"],
  failed_syntax_check: ["invalid", "failed_syntax_check"],
  possible_trap: ["do_not_mail", "possible_trap"],
  alias_address: ["valid", "alias_address"]
}

const freeDomains = new Set(["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "gmx.de", "web.de"])

/**
 * True for sandbox addresses (at `example.com`), which are never charged.
 *
 * @since 0.1.0
 * @category data
 */
export const isSandbox = (email: string): boolean => email.trim().toLowerCase().endsWith("@example.com")

/**
 * `processed_at` as ZeroBounce writes it: `YYYY-MM-DD HH:MM:SS.fff` (UTC).
 *
 * @since 0.1.0
 * @category data
 */
export const formatProcessedAt = (millis: number): string => new Date(millis).toISOString().replace("T", " ").replace("Z", "")

const statusFor = (seed: number, email: string): readonly [string, string] => {
  const [account = "", domain = ""] = email.split("@")
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) return ["invalid", "failed_syntax_check"]
  if (domain === "example.com") return sandbox[account] ?? ["valid", ""]
  if (["info", "sales", "office", "contact", "admin"].includes(account)) return ["do_not_mail", "role_based"]
  const r = Prng.forKey(seed, `verdict:${email}`)()
  if (r < 0.7) return ["valid", ""]
  if (r < 0.8) return ["invalid", "mailbox_not_found"]
  if (r < 0.88) return ["catch-all", ""]
  if (r < 0.96) return ["unknown", r < 0.92 ? "greylisted" : "timeout_exceeded"]
  if (r < 0.98) return ["spamtrap", ""]
  return ["abuse", ""]
}

/**
 * The verdict for an address, processed at `nowMillis`.
 *
 * @since 0.1.0
 * @category data
 */
export const verdict = (seed: number, rawEmail: string, nowMillis: number): WireVerdict => {
  const email = rawEmail.trim().toLowerCase()
  const [account = "", domain = ""] = email.split("@")
  const [status, subStatus] = statusFor(seed, email)
  const prng = Prng.forKey(seed, `meta:${domain}`)
  const mx = status !== "invalid" || subStatus === "mailbox_not_found"
  const [first, last] = account.split(".")
  return {
    address: rawEmail,
    status,
    sub_status: subStatus,
    free_email: freeDomains.has(domain),
    did_you_mean: domain === "gmial.com" ? `${account}@gmail.com` : null,
    account,
    domain,
    domain_age_days: String(Prng.int(prng, 30, 9000)),
    smtp_provider: Prng.pick(prng, ["google", "microsoft", "proofpoint", ""]),
    mx_found: mx ? "true" : "false",
    mx_record: mx ? `mx.${domain}` : "",
    firstname: first ? first.charAt(0).toUpperCase() + first.slice(1) : null,
    lastname: last ? last.charAt(0).toUpperCase() + last.slice(1) : null,
    gender: null,
    country: null,
    region: null,
    city: null,
    zipcode: null,
    processed_at: formatProcessedAt(nowMillis)
  }
}
