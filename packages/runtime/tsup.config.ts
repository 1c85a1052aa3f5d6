import { defineConfig } from "tsup"
import { library } from "../../tsup.base.ts"

// `@am/runtime/stores` lets the CLI open a store URL without loading the engine and the SDKs.
export default defineConfig({ ...library, entry: ["src/index.ts", "src/Stores.ts"] })
