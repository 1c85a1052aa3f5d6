import { defineConfig } from "tsup"

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm"],
  target: "node22",
  dts: { compilerOptions: { customConditions: [] } },
  sourcemap: true,
  clean: true,
  // Keep `node:` specifiers: node:sqlite has no bare-name alias.
  removeNodeProtocol: false
})
