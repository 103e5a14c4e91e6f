/**
 * Which IP addresses the crawler may connect to. Anything loopback, private,
 * link-local, multicast, reserved or a cloud metadata endpoint is refused,
 * including IPv4 addresses embedded in IPv6 (mapped, compatible, translated,
 * NAT64, 6to4), unless an explicit allow-list (CIDRs) names it. Parsing and
 * the special-purpose ranges come from ipaddr.js; this module only maps its
 * range names onto the crawler's categories.
 *
 * @internal
 */
import ipaddr from "ipaddr.js"
import { isIP } from "node:net"

/** @internal */
export type Category =
  | "public"
  | "loopback"
  | "private"
  | "linkLocal"
  | "multicast"
  | "metadata"
  | "reserved"
  | "invalid"

type Address = ipaddr.IPv4 | ipaddr.IPv6
type Range = readonly [Address, number]

// Longer than any address with a zone id: refused before any parsing.
const maxLength = 100

const cidr = (text: string): Range => ipaddr.parseCIDR(text)

// ipaddr.js range names (`range()`) onto categories. A name missing here
// (a range added by a later ipaddr.js) is "reserved": refuse what we do not know.
const v4Names: Readonly<Record<string, Category>> = {
  unicast: "public",
  unspecified: "reserved",
  broadcast: "reserved",
  reserved: "reserved",
  multicast: "multicast",
  linkLocal: "linkLocal",
  loopback: "loopback",
  private: "private",
  carrierGradeNat: "private",
  // Global anycast services (RFC 7534/7535, RFC 7450).
  as112: "public",
  amt: "public"
}

const v6Names: Readonly<Record<string, Category>> = {
  unicast: "public",
  unspecified: "reserved",
  loopback: "loopback",
  linkLocal: "linkLocal",
  multicast: "multicast",
  uniqueLocal: "private",
  deprecatedSiteLocal: "private",
  discard: "reserved",
  teredo: "reserved",
  benchmarking: "reserved",
  deprecatedOrchid: "reserved",
  orchid2: "reserved",
  droneRemoteIdProtocolEntityTags: "reserved",
  segmentRouting: "reserved",
  reserved: "reserved",
  amt: "public",
  as112v6: "public"
}

const metadataV4: ReadonlyArray<Range> = [
  cidr("169.254.169.254/32"), // AWS, GCP, Azure, ...
  cidr("169.254.170.2/32"), // AWS ECS task metadata
  cidr("100.100.100.200/32"), // Alibaba Cloud
  cidr("192.0.0.192/32") // Oracle Cloud
]
const metadataV6: ReadonlyArray<Range> = [cidr("fd00:ec2::254/128")]
// ipaddr.js files 198.18/15 (benchmarking, RFC 2544) under "reserved"; it is
// used as a private network, so it is one here.
const benchmarkV4 = cidr("198.18.0.0/15")
const compatible = cidr("::/96")
const nat64 = cidr("64:ff9b::/32")
const nat64Local = cidr("64:ff9b:1::/48")
const globalUnicast = cidr("2000::/3")

const within = (address: Address, range: Range): boolean =>
  range[0].kind() === address.kind() && address.match(range[0], range[1])

const inAny = (address: Address, ranges: ReadonlyArray<Range>): boolean => ranges.some((r) => within(address, r))

/**
 * A strictly written address (dotted quad, or IPv6 with an optional zone)
 * parsed by ipaddr.js; undefined for anything else. node's `isIP` refuses
 * the octal and hexadecimal spellings ipaddr.js would accept.
 */
const parse = (ip: string): Address | undefined => {
  if (ip.length > maxLength || isIP(ip) === 0) return undefined
  const zone = ip.indexOf("%")
  // The zone names an interface; it does not change what the address is.
  return ipaddr.parse(zone === -1 ? ip : ip.slice(0, zone))
}

const classifyV4 = (a: ipaddr.IPv4): Category => {
  if (inAny(a, metadataV4)) return "metadata"
  if (within(a, benchmarkV4)) return "private"
  return v4Names[a.range()] ?? "reserved"
}

/** The IPv4 address in the last 32 bits. */
const low32 = (a: ipaddr.IPv6): ipaddr.IPv4 => {
  const [high, low] = [a.parts[6] ?? 0, a.parts[7] ?? 0]
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff])
}

const classifyV6 = (a: ipaddr.IPv6): Category => {
  if (inAny(a, metadataV6)) return "metadata"
  // Widened to string: ipaddr.js returns range names its typings omit.
  const range: string = a.range()
  switch (range) {
    case "ipv4Mapped":
      return classifyV4(a.toIPv4Address())
    case "rfc6145": // ::ffff:0:a.b.c.d, IPv4-translated
      return classifyV4(low32(a))
    case "rfc6052": // 64:ff9b::/96 NAT64; 64:ff9b:1::/48 is a local-use translator
      return within(a, nat64Local) ? "private" : classifyV4(low32(a))
    case "6to4": { // 2002:AABB:CCDD::/48 carries a.b.c.d in bits 16..48
      const [high, low] = [a.parts[1] ?? 0, a.parts[2] ?? 0]
      return classifyV4(new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]))
    }
    case "unicast":
      // ::a.b.c.d (IPv4-compatible; :: and ::1 have their own ranges) and the
      // rest of 64:ff9b::/32 carry an IPv4 address in the last 32 bits.
      if (within(a, compatible) || within(a, nat64)) return classifyV4(low32(a))
      // Outside 2000::/3 nothing is allocated for global unicast.
      return within(a, globalUnicast) ? "public" : "reserved"
    default:
      return v6Names[range] ?? "reserved"
  }
}

const categoryOf = (a: Address): Category => a instanceof ipaddr.IPv4 ? classifyV4(a) : classifyV6(a)

/**
 * Classifies an IP address (v4 or v6).
 *
 * @internal
 */
export const classify = (ip: string): Category => {
  const address = parse(ip)
  return address === undefined ? "invalid" : categoryOf(address)
}

/** A CIDR (`"10.0.0.0/8"`) or a single address (`"::1"`); undefined when malformed. */
const parseRange = (text: string): Range | undefined => {
  const slash = text.indexOf("/")
  const network = parse(slash === -1 ? text : text.slice(0, slash))
  if (network === undefined) return undefined
  if (slash === -1) return [network, network.kind() === "ipv4" ? 32 : 128]
  try {
    return ipaddr.parseCIDR(text)
  } catch {
    return undefined
  }
}

/**
 * Whether `text` is a CIDR (`"10.0.0.0/8"`) or a single address, as an
 * allow-list entry must be.
 *
 * @internal
 */
export const isRange = (text: string): boolean => parseRange(text) !== undefined

/**
 * A check built from an allow-list of CIDRs (`"127.0.0.1/32"`, `"::1/128"`):
 * public addresses pass, others pass only when the list covers them (an
 * IPv4-mapped IPv6 address is covered by the IPv4 ranges too). Malformed
 * entries are ignored.
 *
 * @internal
 */
export const makePolicy = (allow: ReadonlyArray<string>): (ip: string) => Category | "allowed" => {
  const ranges = allow.map(parseRange).filter((r): r is Range => r !== undefined)
  return (ip) => {
    const address = parse(ip)
    if (address === undefined) return "invalid"
    const category = categoryOf(address)
    if (category === "public") return "allowed"
    const mapped = address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() ? address.toIPv4Address() : undefined
    const covered = inAny(address, ranges) || (mapped !== undefined && inAny(mapped, ranges))
    return covered ? "allowed" : category
  }
}

/**
 * The address when a host name is an IP literal (brackets allowed for
 * IPv6), otherwise undefined.
 *
 * @internal
 */
export const ipLiteral = (hostname: string): string | undefined => {
  const bare = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname
  return isIP(bare) === 0 ? undefined : bare
}
