#!/usr/bin/env node
// Runs the built CLI (`pnpm --filter @am/cli build` first).
import "../dist/main.js"
