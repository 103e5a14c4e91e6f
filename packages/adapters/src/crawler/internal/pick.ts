/**
 * Page picking: which links of a home page (and which sitemap entries) are
 * worth fetching, by link text and path, in several languages. Same site
 * only, deterministic order: the best page of each role first (about,
 * contact, team, careers, products), then the rest by score, depth and URL.
 *
 * @internal
 */
import type { Link } from "./extract.js"
import { sameSite, siteKey } from "./site.js"

/** @internal */
export type Role = "about" | "contact" | "team" | "careers" | "products"

/** @internal */
export const roleOrder: ReadonlyArray<Role> = ["about", "contact", "team", "careers", "products"]

const keywords: Record<Role, ReadonlyArray<string>> = {
  about: [
    "about", "about-us", "aboutus", "company", "who-we-are", "our-story", "story", "history", "mission", "profile",
    "overview", "a-propos", "apropos", "qui-sommes-nous", "entreprise", "societe", "société", "ueber-uns", "uber-uns",
    "über-uns", "unternehmen", "sobre", "nosotros", "quienes-somos", "quiénes-somos", "empresa", "chi-siamo", "azienda",
    "over-ons", "bedrijf", "tentang", "会社概要", "会社案内", "企業情報", "関于", "关于", "公司简介", "회사소개"
  ],
  contact: [
    "contact", "contact-us", "contacts", "kontakt", "contacto", "contactez-nous", "contatti", "contato", "impressum",
    "imprint", "get-in-touch", "reach-us", "hubungi", "locations", "offices", "お問い合わせ", "問い合わせ", "アクセス",
    "联系", "联系我们", "연락처"
  ],
  team: [
    "team", "our-team", "people", "leadership", "management", "board", "founders", "executives", "staff", "equipe",
    "équipe", "equipo", "mannschaft", "vorstand", "geschaeftsfuehrung", "geschäftsführung", "direction", "dirigeants",
    "役員", "経営陣", "チーム", "团队", "管理层"
  ],
  careers: [
    "careers", "career", "jobs", "join-us", "work-with-us", "hiring", "vacancies", "karriere", "stellenangebote",
    "emplois", "carrieres", "carrières", "recrutement", "empleo", "trabaja-con-nosotros", "lavora-con-noi",
    "vacatures", "werken-bij", "採用", "採用情報", "求人", "招聘"
  ],
  products: [
    "products", "product", "services", "service", "solutions", "solution", "platform", "offerings", "what-we-do",
    "produkte", "leistungen", "loesungen", "lösungen", "produits", "prestations", "productos", "servicios",
    "soluciones", "prodotti", "servizi", "producten", "diensten", "製品", "サービス", "事業内容", "产品", "服务"
  ]
}

const skippedExtensions = /\.(pdf|jpe?g|png|gif|svg|webp|ico|zip|gz|rar|7z|docx?|xlsx?|pptx?|mp[34]|mov|avi|css|js|json|xml|rss|ics|txt|csv|woff2?|ttf|exe|dmg|apk)$/i
const skippedPaths = /^\/(wp-admin|wp-login|login|logout|signin|sign-in|signup|register|cart|checkout|account|cdn-cgi|search|tag|feed)(\/|$)/i

/** Hyphen-joined lower-case words of a string, framed by hyphens. */
const words = (s: string): string => `-${s.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w !== "").join("-")}-`

const isCjk = (s: string): boolean => /[^\u0000-\u024f]/.test(s) && !/[a-z]/.test(s)

const hits = (haystack: string, keyword: string): boolean =>
  isCjk(keyword) ? haystack.includes(keyword) : haystack.includes(`-${keyword}-`)

/** Same site: one registrable domain, over http(s), on one port (see `site.ts`). @internal */
export { sameSite } from "./site.js"

const safeDecode = (s: string): string => {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** The role a link suggests and how strongly; undefined when none. @internal */
export const classify = (url: URL, text: string): { readonly role: Role; readonly score: number } | undefined => {
  const segments = safeDecode(url.pathname).split("/").filter((s) => s !== "")
  const pathWords = segments.map(words)
  const textWords = words(text)
  let best: { role: Role; score: number } | undefined
  for (const role of roleOrder) {
    let score = 0
    for (const keyword of keywords[role]) {
      const last = pathWords[pathWords.length - 1] ?? ""
      if (last === `-${keyword}-` || (isCjk(keyword) && last.includes(keyword))) score = Math.max(score, 4)
      else if (pathWords.some((w) => hits(w, keyword))) score = Math.max(score, 2)
    }
    if (keywords[role].some((k) => hits(textWords, k) || (isCjk(k) && text.includes(k)))) score += 3
    if (score > 0 && (best === undefined || score > best.score)) best = { role, score }
  }
  return best
}

/** A link as a candidate page, or undefined when it is not one. @internal */
const candidateUrl = (home: URL, href: string): URL | undefined => {
  let url: URL
  try {
    url = new URL(href)
  } catch {
    return undefined
  }
  if (!sameSite(home, url)) return undefined
  if (skippedExtensions.test(url.pathname) || skippedPaths.test(url.pathname)) return undefined
  url.hash = ""
  return url
}

/** @internal */
export interface Picked {
  readonly url: string
  readonly role: Role
}

/**
 * Picks up to `max` pages from the home page's links and sitemap URLs.
 *
 * @internal
 */
export const pick = (
  home: URL,
  links: ReadonlyArray<Link>,
  sitemap: ReadonlyArray<string>,
  max: number
): ReadonlyArray<Picked> => {
  const scored = new Map<string, { url: string; role: Role; score: number; depth: number }>()
  const homeKey = `${siteKey(home.hostname)}${home.pathname.replace(/\/+$/, "")}`
  const consider = (href: string, text: string, bonus: number) => {
    const url = candidateUrl(home, href)
    if (url === undefined) return
    // Same page whatever the scheme or a `www.`: keep the page's own form.
    const key = `${siteKey(url.hostname)}${url.pathname.replace(/\/+$/, "")}${url.search}`
    if (key === homeKey) return
    const c = classify(url, text)
    if (c === undefined) return
    const depth = url.pathname.split("/").filter((s) => s !== "").length
    const entry = { url: url.href, role: c.role, score: c.score + bonus, depth }
    const prev = scored.get(key)
    if (prev === undefined || entry.score > prev.score) scored.set(key, entry)
  }
  for (const link of links) consider(link.url, link.text, 1)
  for (const url of sitemap) consider(url, "", 0)

  const ranked = [...scored.values()].sort((a, b) =>
    b.score - a.score || a.depth - b.depth || (a.url < b.url ? -1 : a.url > b.url ? 1 : 0)
  )
  const picked: Array<Picked> = []
  const taken = new Set<string>()
  for (const role of roleOrder) {
    const first = ranked.find((c) => c.role === role)
    if (first !== undefined && picked.length < max) {
      picked.push({ url: first.url, role })
      taken.add(first.url)
    }
  }
  for (const c of ranked) {
    if (picked.length >= max) break
    if (!taken.has(c.url)) {
      picked.push({ url: c.url, role: c.role })
      taken.add(c.url)
    }
  }
  return picked
}
