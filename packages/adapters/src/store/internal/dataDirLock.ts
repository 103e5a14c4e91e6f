/**
 * One process per embedded data directory: a lock file beside it
 * (`<dataDir>.lock`) names the holder (pid, host, start time, command).
 *
 * The file appears with its whole content or not at all: it is written
 * under a name of its own and hard-linked into place, and `link` fails when
 * the lock exists. A lock whose holder is gone (no such process on this
 * host, or this process's pid left by an earlier process: a restarted
 * container) is stale; it is taken over under a second, short-lived lock
 * (`<dataDir>.lock.takeover`), so two processes that find it stale at once
 * do not both remove it, one after the other's new lock. A lock held on
 * another host cannot be checked and counts as held. Released (removed,
 * when still ours) with the scope.
 *
 * @internal
 */
import { Data, Effect, Option } from "effect"
import type { Scope } from "effect"
import { randomBytes } from "node:crypto"
import { link, readFile, unlink, writeFile } from "node:fs/promises"
import { hostname } from "node:os"
import { resolve } from "node:path"
import { performance } from "node:perf_hooks"

/** @internal */
export interface Holder {
  readonly pid: number
  readonly host: string
  /** When the holding process started (its `performance.timeOrigin`), to tell a reused pid. */
  readonly started: number
  readonly command: string
}

/** @internal */
export class Held extends Data.TaggedError("Held")<{ readonly path: string; readonly holder: Holder }> {}

/** @internal */
export class LockFailed extends Data.TaggedError("LockFailed")<{ readonly path: string; readonly cause: unknown }> {}

/** The lock file of a data directory. @internal */
export const lockPath = (dataDir: string): string => `${resolve(dataDir)}.lock`

/** Credentials in URLs given on the command line stay out of the lock file and error messages. */
const redact = (arg: string): string => arg.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@\s]*@/gi, "$1:***@")

/** This process, as a holder. @internal */
export const self = (): Holder => ({
  pid: process.pid,
  host: hostname(),
  started: Math.round(performance.timeOrigin),
  command: process.argv.map(redact).join(" ").slice(0, 300)
})

const codeOf = (e: unknown): string | undefined =>
  typeof e === "object" && e !== null && "code" in e && typeof e.code === "string" ? e.code : undefined

/** Whether the holder's process still runs (on another host: assumed). @internal */
export const alive = (holder: Holder, me: Holder): boolean => {
  if (holder.host !== me.host) return true
  if (holder.pid === me.pid) return holder.started === me.started
  try {
    process.kill(holder.pid, 0)
    return true
  } catch (e) {
    return codeOf(e) === "EPERM"
  }
}

/** @internal */
export const parse = (text: string): Option.Option<Holder> => {
  try {
    const u: unknown = JSON.parse(text)
    if (
      typeof u === "object" && u !== null && "pid" in u && typeof u.pid === "number" && Number.isInteger(u.pid) &&
      u.pid > 0 && "host" in u && typeof u.host === "string" && "started" in u && typeof u.started === "number"
    ) {
      return Option.some({
        pid: u.pid,
        host: u.host,
        started: u.started,
        command: "command" in u && typeof u.command === "string" ? u.command : ""
      })
    }
  } catch {
    // not JSON: treated as no holder
  }
  return Option.none()
}

/** Creates `path` holding `text`, all at once; `false` when it exists. */
const create = (path: string, text: string) =>
  Effect.tryPromise({
    try: async () => {
      const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}`
      await writeFile(tmp, text, { flag: "wx" })
      try {
        await link(tmp, path)
        return true
      } catch (e) {
        if (codeOf(e) === "EEXIST") return false
        throw e
      } finally {
        await unlink(tmp).catch(() => undefined)
      }
    },
    catch: (cause) => new LockFailed({ path, cause })
  })

/** The file's text, or `undefined` when it is gone. */
const read = (path: string) =>
  Effect.tryPromise({
    try: () => readFile(path, "utf8").catch((e: unknown) => codeOf(e) === "ENOENT" ? undefined : Promise.reject(e)),
    catch: (cause) => new LockFailed({ path, cause })
  })

const remove = (path: string) =>
  Effect.tryPromise({
    try: () => unlink(path).catch((e: unknown) => codeOf(e) === "ENOENT" ? undefined : Promise.reject(e)),
    catch: (cause) => new LockFailed({ path, cause })
  })

/** Removes `path` if its text is still `text`. */
const removeIf = (path: string, text: string) =>
  Effect.flatMap(read(path), (now) => now === text ? remove(path) : Effect.void)

/**
 * Takes the stale lock whose text was `stale` away, under the takeover
 * lock; `false` when another process is taking it over right now.
 */
const takeOver = (path: string, stale: string, me: Holder, mine: string) =>
  Effect.gen(function*() {
    const guard = `${path}.takeover`
    if (!(yield* create(guard, mine))) {
      const text = yield* read(guard)
      const holder = text === undefined ? Option.none() : parse(text)
      // a takeover whose process died: clear it, and try again
      if (text !== undefined && (Option.isNone(holder) || !alive(holder.value, me))) yield* removeIf(guard, text)
      return false
    }
    yield* removeIf(path, stale).pipe(Effect.ensuring(remove(guard).pipe(Effect.ignore)))
    return true
  })

/**
 * Holds the lock of `dataDir` for the scope, or fails with `Held` naming
 * the process that holds it.
 *
 * @internal
 */
export const acquire = (dataDir: string): Effect.Effect<void, Held | LockFailed, Scope.Scope> =>
  Effect.gen(function*() {
    const path = lockPath(dataDir)
    const me = self()
    const mine = JSON.stringify(me)
    for (let attempt = 0; attempt < 50; attempt++) {
      if (yield* create(path, mine)) {
        yield* Effect.addFinalizer(() => removeIf(path, mine).pipe(Effect.ignore))
        return
      }
      const text = yield* read(path)
      if (text === undefined) continue
      const holder = parse(text)
      if (Option.isSome(holder) && alive(holder.value, me)) return yield* new Held({ path, holder: holder.value })
      if (!(yield* takeOver(path, text, me, mine))) yield* Effect.sleep("20 millis")
    }
    return yield* new LockFailed({ path, cause: new Error("the lock kept changing hands") })
  })
