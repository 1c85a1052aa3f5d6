/**
 * The Router is a service: a consumer that depends only on `Router` runs on the route-table
 * layer or on any custom layer, unchanged.
 */
import { Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { type PlanInput, Router, RouterError, UnknownRoute } from "../src/index.ts"
import { provider, run, table, user } from "./support.ts"

/** The tiny consumer: which (provider, model) a request goes to first. It knows nothing but `Router`. */
const firstChoice = (input: PlanInput) =>
  Effect.gen(function* () {
    const router = yield* Router
    const plan = yield* router.plan(input)
    return `${plan.candidates[0]!.provider}/${plan.candidates[0]!.model.name}`
  })

const t = table(
  [provider("a", "openai", ["gpt-4o", "gpt-4o-mini"]), provider("b", "anthropic", ["claude-haiku-4-5"])],
  {
    default: [
      { provider: "a", models: ["gpt-4o", "gpt-4o-mini"] },
      { provider: "b", models: ["claude-haiku-4-5"] }
    ]
  }
)
const input: PlanInput = { requestId: "req-1", request: user("hi") }

describe("the Router can be replaced", () => {
  it("the consumer runs on the route-table layer", async () => {
    expect(await run(firstChoice(input).pipe(Effect.provide(Router.layer(t))))).toBe("a/gpt-4o")
  })

  it("a custom layer — here, the route-table router reversed for workspace 'eu' — replaces it without touching the consumer", async () => {
    const base = Router.make(t)
    const EuLast = Layer.succeed(
      Router,
      Router.of({
        plan: (i) =>
          Effect.map(base.plan(i), (plan) =>
            i.request.metadata?.["workspaceId"] === "eu"
              ? { ...plan, candidates: [...plan.candidates].reverse().map((c, index) => ({ ...c, index })) }
              : plan
          )
      })
    )
    const eu = { ...input, request: { ...user("hi"), metadata: { workspaceId: "eu" } } }
    expect(await run(firstChoice(eu).pipe(Effect.provide(EuLast)))).toBe("b/claude-haiku-4-5")
    expect(await run(firstChoice(input).pipe(Effect.provide(EuLast)))).toBe("a/gpt-4o")
  })

  it("a custom router's typed failure reaches the consumer as a RouterError", async () => {
    const Nothing = Layer.succeed(
      Router,
      Router.of({
        plan: (i) => Effect.fail(new RouterError({ reason: new UnknownRoute({ route: i.request.route ?? "default" }) }))
      })
    )
    const error = await run(firstChoice(input).pipe(Effect.flip, Effect.provide(Nothing)))
    expect(error.code).toBe("no_route")
    expect(error.message).toBe('no route or model named "default"')
  })

  it("an invalid table is refused at construction, naming every bad path", () => {
    const bad = table([provider("a", "openai", ["gpt-4o"])], {
      default: [
        { provider: "nope", models: ["gpt-4o"] },
        { provider: "a", models: ["gpt-4o"], weight: { "gpt-5": 0 } }
      ]
    })
    expect(() => Router.make(bad)).toThrow(
      /routes\.default\[0\]\.provider: unknown provider "nope".*routes\.default\[1\]\.weight/
    )
  })
})
