/**
 * Preloaded (`node --import`) into every process the gateway bench starts.
 *
 * - No orphans: the bench kills its children on exit, error and signals, but if it is
 *   itself killed outright (SIGKILL) the children are re-parented; each child notices its
 *   parent changed and exits. The 500 ms check costs nothing measurable.
 * - `AM_BENCH_LOOPBACK=1` (Portkey): its start script listens on every interface and can
 *   call remote services from plugins; the bench binds it to 127.0.0.1 and refuses any
 *   `fetch` that is not to loopback, so a load test never sends traffic off this machine.
 */
import net from "node:net"

const parent = process.ppid
setInterval(() => {
  if (process.ppid !== parent) process.exit(0)
}, 500).unref()

if (process.env.AM_BENCH_LOOPBACK === "1") {
  const listen = net.Server.prototype.listen
  // listen(port[, host][, backlog][, cb]) or listen(options[, cb]): give it a loopback host.
  net.Server.prototype.listen = function (this: net.Server, ...args: Array<unknown>) {
    const [first, second] = args
    if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
      if (typeof second !== "string") args.splice(1, 0, "127.0.0.1")
    } else if (first !== null && typeof first === "object" && (first as net.ListenOptions).host === undefined) {
      args[0] = { ...(first as net.ListenOptions), host: "127.0.0.1" }
    }
    return (listen as (...a: Array<unknown>) => net.Server).apply(this, args)
  } as typeof listen

  const LOOPBACK = /^https?:\/\/(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])(:\d+)?(\/|$)/i
  const fetch = globalThis.fetch
  globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url
    if (!LOOPBACK.test(url)) return Promise.reject(new TypeError(`gateway bench: refused non-loopback fetch to ${url}`))
    return fetch(input, init)
  }) as typeof fetch
}
