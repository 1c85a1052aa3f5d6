#!/usr/bin/env node
/**
 * `am-gateway [--config FILE] [--host HOST] [--port PORT]` — starts the gateway.
 *
 * With `--config` (or `AM_CONFIG`) it runs on that config file (environment variables
 * override its values, `AM__…`). Without, it runs the embedded default: simulated providers,
 * a SQLite ledger under `./data`, memory state, loopback only. It prints the URL, the
 * dashboard URL and a `curl` line that works. SIGTERM/SIGINT drain it gracefully (exit 0).
 */
import { mkdirSync } from "node:fs"
import { type AmConfig, loadConfig, loadConfigFile } from "@am/runtime"
import { Upstream } from "@am/simulator"
import { closeSharedTransport } from "@am/transport"
import { NodeRuntime } from "@effect/platform-node"
import { Cause, Console, Effect, Exit, Layer, Runtime } from "effect"
import { HttpServer } from "effect/http"
import { NetAddress } from "effect/net"
import { embeddedConfig, embeddedUpstreams } from "./Embedded.ts"
import { Gateway } from "./Gateway.ts"
import { Lifecycle } from "./Lifecycle.ts"

interface Args {
  readonly config?: string
  readonly host?: string
  readonly port?: number
}

const parseArgs = (argv: ReadonlyArray<string>): Args => {
  const out: { config?: string; host?: string; port?: number } = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const [flag, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined]
    const value = () => inline ?? argv[++i]
    // `pnpm run start -- --config x` passes the separator through.
    if (a === "--") continue
    if (flag === "--config" || flag === "-c") out.config = value()
    else if (flag === "--host") out.host = value()
    else if (flag === "--port" || flag === "-p") out.port = Number(value())
    else if (flag === "--help" || flag === "-h") {
      console.log(
        "usage: am-gateway [--config FILE] [--host HOST] [--port PORT]\n(AM_CONFIG=FILE also selects a config)"
      )
      process.exit(0)
    } else {
      console.error(`am-gateway: unknown argument ${a}`)
      process.exit(2)
    }
  }
  if (out.port !== undefined && !(Number.isInteger(out.port) && out.port >= 0 && out.port < 65536)) {
    console.error("am-gateway: --port must be an integer 0–65535")
    process.exit(2)
  }
  return out
}

const args = parseArgs(process.argv.slice(2))
const configPath = args.config ?? process.env.AM_CONFIG

/** The embedded default's config, with the simulated upstreams it needs (closed with the gateway). */
const embedded = Effect.gen(function* () {
  const upstreams = yield* Upstream.scopedMany(embeddedUpstreams())
  mkdirSync("data", { recursive: true })
  const config = yield* loadConfig(embeddedConfig(upstreams.map((u) => u.baseURL)))
  return config
})

const announce = (config: AmConfig, simulated: boolean) =>
  Effect.gen(function* () {
    const server = yield* HttpServer.HttpServer
    const address = server.address
    const host = address._tag === "UnixPathAddress" ? "127.0.0.1" : NetAddress.formatIp(address.address)
    const port = address._tag === "UnixPathAddress" ? 0 : address.port
    const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host
    const url = `http://${shown}:${port}`
    const auth = config.gatewayKeys.length > 0 ? ` -H "Authorization: Bearer $AM_GATEWAY_KEY"` : ""
    yield* Console.log(
      [
        `Adaptive Mind gateway listening on ${url}${simulated ? " (simulated providers: no config given)" : ""}`,
        `  OpenAI base URL: ${url}/v1`,
        `  dashboard:       ${url}/dashboard`,
        `  ledger:          ${config.ledger.store}   state: ${config.state.store}`,
        "  try:",
        `  curl -s ${url}/v1/chat/completions -H "Content-Type: application/json"${auth} -d '{"model":"default","messages":[{"role":"user","content":"Hello"}]}'`
      ].join("\n")
    )
  })

const main = Effect.gen(function* () {
  const simulated = configPath === undefined
  const config = simulated ? yield* embedded : yield* loadConfigFile(configPath)
  const gateway = Gateway.layer({
    config,
    ...(args.host !== undefined ? { host: args.host } : {}),
    ...(args.port !== undefined ? { port: args.port } : {})
  })
  // Runs after the gateway's layer is released (finalizers run in reverse): in-flight calls are
  // done by then, so the pooled upstream connections can close.
  yield* Effect.addFinalizer(() => Effect.promise(() => closeSharedTransport()))
  yield* Layer.build(gateway).pipe(
    Effect.flatMap((context) =>
      Effect.gen(function* () {
        yield* announce(config, simulated)
        const lifecycle = yield* Lifecycle
        // On SIGTERM the runtime interrupts this fiber; mark draining first so late requests get 503.
        yield* Effect.addFinalizer(() => lifecycle.drain)
        return yield* Effect.never
      }).pipe(Effect.provideContext(context))
    )
  )
}).pipe(Effect.scoped)

// A drain on SIGTERM/SIGINT is the normal way to stop: exit 0 (the default would be 130).
// Anything else keeps the default's code.
const teardown: Runtime.Teardown = (exit, onExit) =>
  Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) ? onExit(0) : Runtime.defaultTeardown(exit, onExit)

NodeRuntime.runMain(main, { teardown })
