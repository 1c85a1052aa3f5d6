import type { FaultName } from "../FaultScript.ts"

/** One request as the server saw it; filled in as the answer is sent (`status` stays 0 when none was). */
export interface LogEntry {
  at: number
  method: string
  path: string
  model: string | undefined
  key: string | undefined
  stream: boolean
  prompt: string
  body?: string
  status: number
  fault?: FaultName | number
  clientClosed?: boolean
}

/** The request log, bounded: when full, the oldest half is dropped. */
export class RequestLog {
  readonly entries: Array<LogEntry> = []
  private readonly max: number

  constructor(max: number) {
    this.max = max
  }

  record(entry: LogEntry): void {
    if (this.entries.length >= this.max) this.entries.splice(0, Math.ceil(this.max / 2))
    this.entries.push(entry)
  }

  clear(): void {
    this.entries.length = 0
  }
}
