/**
 * The classifier as an Effect service, for code that takes its dependencies from layers (the
 * engine, the breaker, the keyring). `layer` uses the default table; `layerWith(extra)` puts
 * your rules first. Reset headers are resolved against the Effect `Clock`, so `TestClock`
 * controls them in tests.
 *
 * @example
 * ```ts
 * import { Classifier } from "@am/classifier"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const classifier = yield* Classifier
 *   return classifier.classify(failure)
 * }).pipe(Effect.provide(Classifier.layer))
 * ```
 * @since 0.1.0
 */
import type { Classification, ProviderFailure } from "@am/core"
import { Clock, Context, Effect, Layer } from "effect"
import { type ClassificationRule, classifyWith } from "./ClassificationRule.ts"
import { rules } from "./Rules.ts"

export class Classifier extends Context.Service<
  Classifier,
  { readonly classify: (failure: ProviderFailure) => Classification }
>()("@am/classifier/Classifier") {
  /** Your rules first (first match wins), then the default table. */
  static layerWith(extraRules: ReadonlyArray<ClassificationRule>): Layer.Layer<Classifier> {
    const run = classifyWith([...extraRules, ...rules])
    return Layer.effect(
      Classifier,
      Effect.map(Clock.clockWith(Effect.succeed), (clock) => {
        const now = () => clock.currentTimeMillisUnsafe()
        return Classifier.of({ classify: (failure) => run(failure, { now }) })
      })
    )
  }

  /** The default table. */
  static readonly layer: Layer.Layer<Classifier> = Classifier.layerWith([])
}
