import { describe, expect, it } from "@effect/vitest"
import { classify, ipLiteral, makePolicy } from "../../src/crawler/internal/address.js"

describe("address policy (no SSRF)", () => {
  it.each([
    ["8.8.8.8", "public"],
    ["93.184.216.34", "public"],
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["172.32.0.1", "public"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "private"],
    ["169.254.1.1", "linkLocal"],
    ["169.254.169.254", "metadata"],
    ["169.254.170.2", "metadata"],
    ["100.100.100.200", "metadata"],
    ["224.0.0.1", "multicast"],
    ["0.0.0.0", "reserved"],
    ["255.255.255.255", "reserved"],
    ["::1", "loopback"],
    ["::", "reserved"],
    ["fe80::1%eth0", "linkLocal"],
    ["fd12:3456::1", "private"],
    ["fc00::1", "private"],
    ["ff02::1", "multicast"],
    ["fd00:ec2::254", "metadata"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:169.254.169.254", "metadata"],
    ["64:ff9b::10.0.0.1", "private"],
    ["2002:7f00:0001::", "loopback"],
    ["2001:db8::1", "reserved"],
    ["2606:4700:4700::1111", "public"],
    ["not-an-ip", "invalid"]
  ])("%s is %s", (ip, category) => {
    expect(classify(ip)).toBe(category)
  })

  it("an allow-list lets named ranges through and nothing else", () => {
    const policy = makePolicy(["127.0.0.1/32", "::1"])
    expect(policy("127.0.0.1")).toBe("allowed")
    expect(policy("127.0.0.2")).toBe("loopback")
    expect(policy("::1")).toBe("allowed")
    expect(policy("10.0.0.1")).toBe("private")
    expect(policy("8.8.8.8")).toBe("allowed")
    expect(makePolicy([])("127.0.0.1")).toBe("loopback")
  })

  it("recognises IP literals in host names", () => {
    expect(ipLiteral("[::1]")).toBe("::1")
    expect(ipLiteral("10.0.0.1")).toBe("10.0.0.1")
    expect(ipLiteral("example.test")).toBeUndefined()
    // WHATWG URL parsing turns odd IPv4 spellings into dotted quads first.
    expect(ipLiteral(new URL("http://2130706433/").hostname)).toBe("127.0.0.1")
    expect(ipLiteral(new URL("http://0x7f.1/").hostname)).toBe("127.0.0.1")
  })
})
