export * from "./MemoryProvider.ts"
