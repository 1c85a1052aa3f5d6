// What the response-cache tests run against: memory (one replica) and Redis (two replicas, each
// with its own connection, sharing one key prefix).
import { Context, Effect, Layer, Ref, type Scope } from "effect"
import type { CacheableRequest } from "../src/index.ts"
import { ResponseCache, type ResponseCacheConfig } from "../src/index.ts"
import { cleanupAfter, connection, skipRedis, uniquePrefix } from "./redis.ts"

type Service = ResponseCache["Service"]

const build = <E>(layer: Layer.Layer<ResponseCache, E>) =>
  Effect.map(Layer.build(layer), (ctx) => Context.get(ctx, ResponseCache)).pipe(Effect.orDie)

export interface CacheBackend {
  readonly name: string
  readonly skip: boolean
  readonly replicas: (config: ResponseCacheConfig) => Effect.Effect<readonly [Service, Service], never, Scope.Scope>
}

export const cacheBackends: ReadonlyArray<CacheBackend> = [
  {
    name: "memory",
    skip: false,
    replicas: (config) => Effect.map(build(ResponseCache.layerMemory(config)), (one) => [one, one] as const)
  },
  {
    name: "redis",
    skip: skipRedis,
    replicas: (config) =>
      Effect.gen(function* () {
        const prefix = uniquePrefix()
        yield* cleanupAfter(prefix)
        const replica = () => build(ResponseCache.layerRedis({ ...config, prefix }).pipe(Layer.provide(connection())))
        return [yield* replica(), yield* replica()] as const
      })
  }
]

export const chat: CacheableRequest = {
  model: "gpt-4o",
  messages: [
    { role: "system", content: "You are a terse assistant." },
    { role: "user", content: "What is the capital of France?" }
  ],
  temperature: 0.2,
  maxTokens: 64
}

/** A fake upstream that counts its calls; each answer names the call that produced it. */
export const makeUpstream = Effect.gen(function* () {
  const calls = yield* Ref.make(0)
  const call = Effect.map(
    Ref.updateAndGet(calls, (n) => n + 1),
    (n) => ({ requestId: `req-${n}`, value: `answer from call ${n}` })
  )
  return { calls: Ref.get(calls), call }
})
