/** The `am` operator commands. */
import { EventStore, type LedgerEntry, LedgerStore, type LedgerStoreShape, RunStore } from "@am/core"
import { verifyStore } from "@am/ledger"
import { formatUsageTable, usageReport, usageReportCsv, usageReportJson } from "@am/usage"
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { formatSummary, summarize } from "./EventSummary.ts"
import { makeFaultsCommand } from "./FaultsCommand.ts"
import { CliError, resolveStoreSpec, storeLayer } from "./Store.ts"
import { parseTime } from "./Time.ts"

const root = Command.make("am").pipe(
  Command.withSharedFlags({
    store: Flag.String("store").pipe(
      Flag.withDescription("the store to read: sqlite:PATH or postgres://… (the syntax of ledger.store)"),
      Flag.optional
    ),
    config: Flag.String("config").pipe(Flag.withDescription("read ledger.store from this config file"), Flag.optional),
    json: Flag.Boolean("json").pipe(Flag.withDescription("machine-readable output"), Flag.withDefault(false))
  }),
  Command.withDescription("Adaptive Mind operator commands")
)

/** Runs `effect` against the store the shared flags name. */
const withStores = <A, E>(effect: Effect.Effect<A, E, LedgerStore | RunStore | EventStore>) =>
  Effect.gen(function* () {
    const flags = yield* root
    const spec = yield* resolveStoreSpec(Option.getOrUndefined(flags.store), Option.getOrUndefined(flags.config))
    return yield* Effect.provide(effect, storeLayer(spec))
  })

const entryRow = (e: LedgerEntry) =>
  [
    String(e.seq).padStart(6),
    new Date(e.finishedAt).toISOString().replace("T", " ").slice(0, 19),
    e.outcome.padEnd(17),
    `${e.provider ?? "-"}/${e.model ?? "-"}`.padEnd(32),
    `calls=${e.apiCalls}`.padEnd(9),
    `${Math.round(e.latencyMs)} ms`.padStart(9),
    `score=${e.resilienceScore.toFixed(2)}`,
    e.failureCode ?? "",
    e.requestId
  ].join("  ")

const workspaceFlag = Flag.String("workspace").pipe(
  Flag.withDescription("only this workspace's entries"),
  Flag.optional
)

/** The newest `limit` entries (of `workspace` only, if given), oldest first, read back page by page. */
const newest = (store: LedgerStoreShape, limit: number, workspace: string | undefined) =>
  Effect.gen(function* () {
    const head = yield* store.head
    if (head === undefined) return []
    if (workspace === undefined) return yield* store.range(Math.max(1, head.seq - limit + 1), limit)
    const found: Array<LedgerEntry> = []
    const page = 500
    for (let to = head.seq; to >= 1 && found.length < limit; to -= page) {
      const from = Math.max(1, to - page + 1)
      const entries = yield* store.range(from, to - from + 1)
      for (const e of entries.toReversed()) {
        if (e.workspaceId === workspace && found.length < limit) found.push(e)
      }
    }
    return found.toReversed()
  })

const tail = Command.make(
  "tail",
  {
    limit: Flag.Int("limit").pipe(Flag.withDescription("how many entries"), Flag.withDefault(20)),
    workspace: workspaceFlag
  },
  Effect.fn(function* ({ limit, workspace }) {
    const { json } = yield* root
    yield* withStores(
      Effect.gen(function* () {
        const store = yield* LedgerStore
        const entries = yield* newest(store, limit, Option.getOrUndefined(workspace))
        if (json) return yield* Console.log(JSON.stringify(entries, null, 2))
        if (entries.length === 0) return yield* Console.log("the ledger is empty")
        yield* Console.log(entries.map(entryRow).join("\n"))
      })
    )
  })
).pipe(Command.withDescription("the most recent ledger entries"))

const show = Command.make(
  "show",
  {
    id: Argument.String("id").pipe(Argument.withDescription("a request id (req_…) or a seq number")),
    workspace: workspaceFlag
  },
  Effect.fn(function* ({ id, workspace }) {
    yield* withStores(
      Effect.gen(function* () {
        const store = yield* LedgerStore
        const entry = /^\d+$/.test(id)
          ? (yield* store.range(Number(id), 1)).find((e) => e.seq === Number(id))
          : yield* store.byRequestId(id)
        // Another workspace's entry reads as absent: --workspace never reveals that it exists.
        if (entry === undefined || (Option.isSome(workspace) && entry.workspaceId !== workspace.value)) {
          return yield* new CliError({ message: `no ledger entry ${id}` })
        }
        yield* Console.log(JSON.stringify(entry, null, 2))
      })
    )
  })
).pipe(Command.withDescription("one ledger entry with its attempts and events"))

const verify = Command.make(
  "verify",
  {},
  Effect.fn(function* () {
    const { json } = yield* root
    const progress = process.stderr.isTTY === true && !json
    const result = yield* withStores(
      verifyStore({ onProgress: progress ? (n) => process.stderr.write(`\rverifying… ${n} entries`) : undefined })
    )
    if (progress) process.stderr.write("\r\x1b[K")
    if (json) yield* Console.log(JSON.stringify(result))
    if (!result.ok) {
      return yield* new CliError({ message: `ledger chain broken at seq ${result.seq}: ${result.reason}` })
    }
    if (!json) yield* Console.log(`ledger chain intact: ${result.count} entries`)
  })
).pipe(Command.withDescription("check the hash chain; exits non-zero when it is broken"))

const ledger = Command.make("ledger").pipe(
  Command.withSubcommands([tail, show, verify]),
  Command.withDescription("read and verify the audit ledger")
)

const report = Command.make(
  "report",
  {
    workspace: Flag.String("workspace").pipe(Flag.withDescription("only this workspace"), Flag.optional),
    from: Flag.String("from").pipe(Flag.withDescription("start (ISO date/time or 7d, 6h…)"), Flag.withDefault("30d")),
    to: Flag.String("to").pipe(Flag.withDescription("end, exclusive (ISO date/time; default now)"), Flag.optional),
    csv: Flag.Boolean("csv").pipe(Flag.withDescription("CSV output"), Flag.withDefault(false))
  },
  Effect.fn(function* ({ workspace, from, to, csv }) {
    const { json } = yield* root
    const now = Date.now()
    const fromMs = parseTime(from, now)
    const toMs = Option.isSome(to) ? parseTime(to.value, now) : now
    if (fromMs === undefined) return yield* new CliError({ message: `--from: not a date or span: ${from}` })
    if (toMs === undefined) return yield* new CliError({ message: `--to: not a date or span` })
    const workspaceId = Option.getOrUndefined(workspace)
    const rows = yield* withStores(
      Effect.flatMap(Effect.service(RunStore), (runs) =>
        runs.usage({ ...(workspaceId !== undefined ? { workspaceId } : {}), from: fromMs, to: toMs })
      )
    )
    const rep = usageReport(rows, { ...(workspaceId !== undefined ? { workspaceId } : {}), from: fromMs, to: toMs })
    yield* Console.log(json ? usageReportJson(rep) : csv ? usageReportCsv(rep) : formatUsageTable(rep))
  })
).pipe(Command.withDescription("tokens and cost by workspace, provider and model over a date range"))

const usage = Command.make("usage").pipe(Command.withSubcommands([report]), Command.withDescription("usage and cost"))

const summarizeCmd = Command.make(
  "summarize",
  {
    since: Flag.String("since").pipe(Flag.withDescription("ISO date/time or 30m, 6h, 7d"), Flag.withDefault("1h")),
    limit: Flag.Int("limit").pipe(Flag.withDescription("most events to read"), Flag.withDefault(1_000_000))
  },
  Effect.fn(function* ({ since, limit }) {
    const { json } = yield* root
    const at = parseTime(since, Date.now())
    if (at === undefined) return yield* new CliError({ message: `--since: not a date or span: ${since}` })
    const events = yield* withStores(Effect.flatMap(Effect.service(EventStore), (store) => store.since(at, limit)))
    const rows = summarize(events)
    yield* Console.log(json ? JSON.stringify(rows, null, 2) : formatSummary(rows))
  })
).pipe(Command.withDescription("per provider: attempts, failures by class, failovers, breaker trips, latency"))

const events = Command.make("events").pipe(
  Command.withSubcommands([summarizeCmd]),
  Command.withDescription("telemetry events")
)

const faults = makeFaultsCommand(Effect.map(root, (flags) => flags.json))

export const cli = root.pipe(Command.withSubcommands([ledger, usage, events, faults]))
