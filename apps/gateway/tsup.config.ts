import { defineConfig } from "tsup"

export default defineConfig({
  entry: ["src/index.ts", "src/main.ts"],
  format: ["esm"],
  target: "node22",
  dts: { entry: "src/index.ts" },
  sourcemap: true,
  clean: true,
  // Keep `node:` specifiers: node:sqlite has no bare-name alias.
  removeNodeProtocol: false
})
