import type { Options } from "tsup"

/** The build every library package shares: ESM + .d.ts from src/index.ts. */
export const library: Options = {
  entry: ["src/index.ts"],
  format: ["esm"],
  target: "node22",
  // Declarations are built against dependencies' dist types, not their sources.
  dts: { compilerOptions: { customConditions: [] } },
  sourcemap: true,
  clean: true,
  // Keep `node:` specifiers: node:sqlite has no bare-name alias.
  removeNodeProtocol: false
}
