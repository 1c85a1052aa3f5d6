/**
 * Output sanitisation, per config: control characters stripped (C0 except tab/newline/CR, DEL,
 * C1, bidi overrides and isolates — the "Trojan source" characters — and whole ANSI escape
 * sequences), and, where the caller renders answers as HTML, tags stripped (`<script>` and
 * `<style>` with their content, comments too) or every markup character escaped.
 *
 * The complete and the streamed forms are one state machine: `sanitizeOutput(text)` equals the
 * concatenation of a `streamSanitizer`'s outputs for any cutting of `text` into chunks, so a tag
 * or an escape sequence split across chunks is handled as if it were whole (a possible tag start
 * is held back until it is decided, at most ~1 KB).
 *
 * @example
 * ```ts
 * import { sanitizeOutput } from "@am/guard"
 * sanitizeOutput("ok\u0007 <b>bold</b><script>alert(1)</script> 1 < 2", { controlChars: "strip", html: "strip" })
 * // "ok bold 1 &lt; 2" (a `<` left over is escaped: it cannot form a tag with what follows)
 * sanitizeOutput("1 < 2 & <i>", { controlChars: "keep", html: "escape" }) // "1 &lt; 2 &amp; &lt;i&gt;"
 * ```
 * @since 0.2.0
 */

/** What sanitisation does to an answer. */
export interface SanitizePolicy {
  readonly controlChars: "strip" | "keep"
  readonly html: "keep" | "strip" | "escape"
}

/** The defaults: control characters stripped, HTML left as it is. */
export const DEFAULT_SANITIZE: SanitizePolicy = { controlChars: "strip", html: "keep" }

/** A streaming sanitiser: feed chunks in order, then `end()`. */
export interface StreamSanitizer {
  readonly push: (chunk: string) => string
  readonly end: () => string
}

interface Stage {
  /** Sanitises `text` as far as it is decided; `final` means nothing follows. */
  readonly step: (text: string, final: boolean) => { readonly out: string; readonly rest: string }
}

// --- control characters --------------------------------------------------------------------

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g
// Bounded so a streamed prefix is decidable: CSI (`ESC [ … final`), OSC (`ESC ] … BEL|ESC \`), two-byte escapes.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const ANSI = /\u001b(?:\[[0-?]{0,32}[ -/]{0,8}[@-~]|\][^\u0007\u001b]{0,256}(?:\u0007|\u001b\\)|[@-Z\\-_])/g
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const ANSI_PREFIX = /^\u001b(?:\[[0-?]{0,32}[ -/]{0,8}|\][^\u0007\u001b]{0,256}\u001b?)?$/

const controlStage = (): Stage => ({
  step: (text, final) => {
    let cut = text.length
    if (!final) {
      const esc = text.lastIndexOf("\u001b")
      if (esc >= 0 && text.length - esc <= 300 && ANSI_PREFIX.test(text.slice(esc))) cut = esc
    }
    const head = cut === text.length ? text : text.slice(0, cut)
    const out = head.includes("\u001b") ? head.replace(ANSI, "").replace(CONTROL, "") : head.replace(CONTROL, "")
    return { out, rest: text.slice(cut) }
  }
})

// --- HTML ----------------------------------------------------------------------------------

const ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;"
}
const MARKUP = /[&<>"']/g

const escapeStage = (): Stage => ({
  step: (text) => ({ out: text.replace(MARKUP, (c) => ESCAPES[c]!), rest: "" })
})

/** A tag must close within this many characters, a comment within `MAX_COMMENT`; else `<` is text (escaped). */
const MAX_TAG = 1024
const MAX_COMMENT = 4096
const TAG_START = /^<(?:\/?[A-Za-z]|!|\?)/
const RAW_TEXT = /^<(script|style)(?=[\s>/])/i

/**
 * Strips tags. State: inside a `<script>`/`<style>` element (its content is dropped up to the
 * closing tag; an unclosed one drops the rest of the answer, as a browser would).
 */
const stripStage = (): Stage => {
  let inside: string | undefined
  return {
    step: (text, final) => {
      let out = ""
      let i = 0
      while (i < text.length) {
        if (inside !== undefined) {
          const close = new RegExp(`</${inside}\\s{0,8}>`, "i").exec(text.slice(i))
          if (close === null) {
            if (final) return { out, rest: "" }
            // keep a trailing fragment that may become the closing tag
            const keep = Math.max(i, text.length - (inside.length + 16))
            const lt = text.indexOf("<", keep)
            return { out, rest: lt >= 0 ? text.slice(lt) : "" }
          }
          i += close.index + close[0].length
          inside = undefined
          continue
        }
        const lt = text.indexOf("<", i)
        if (lt < 0) {
          out += text.slice(i)
          return { out, rest: "" }
        }
        out += text.slice(i, lt)
        i = lt
        if (text.length - lt < 3 && !final) return { out, rest: text.slice(lt) }
        if (text.startsWith("<!--", lt) || (!final && "<!--".startsWith(text.slice(lt, lt + 4)))) {
          const end = text.indexOf("-->", lt + 4)
          if (end >= 0 && end - lt <= MAX_COMMENT) {
            i = end + 3
            continue
          }
          if (!final && text.length - lt <= MAX_COMMENT) return { out, rest: text.slice(lt) }
          if (text.startsWith("<!--", lt)) {
            out += "&lt;"
            i = lt + 1
            continue
          }
        }
        if (!TAG_START.test(text.slice(lt, lt + 3))) {
          // escaped, so a stray `<` cannot form a tag with the text after a removed one (`<<b>b`)
          out += "&lt;"
          i = lt + 1
          continue
        }
        const gt = text.indexOf(">", lt)
        if (gt < 0 || gt - lt > MAX_TAG) {
          if (!final && gt < 0 && text.length - lt <= MAX_TAG) return { out, rest: text.slice(lt) }
          out += "&lt;"
          i = lt + 1
          continue
        }
        const raw = RAW_TEXT.exec(text.slice(lt, gt + 1))
        if (raw !== null && text[gt - 1] !== "/") inside = raw[1]!.toLowerCase()
        i = gt + 1
      }
      return { out, rest: "" }
    }
  }
}

const stagesOf = (policy: SanitizePolicy): ReadonlyArray<Stage> => {
  const stages: Stage[] = []
  if (policy.controlChars === "strip") stages.push(controlStage())
  if (policy.html === "strip") stages.push(stripStage())
  if (policy.html === "escape") stages.push(escapeStage())
  return stages
}

/**
 * A sanitiser for a streamed answer under `policy`.
 *
 * @example
 * ```ts
 * import { streamSanitizer } from "@am/guard"
 * const s = streamSanitizer({ controlChars: "strip", html: "strip" })
 * s.push("Hello <scr") // "Hello "
 * s.push("ipt>x</script>world") // "world"
 * s.end() // ""
 * ```
 */
export const streamSanitizer = (policy: SanitizePolicy = DEFAULT_SANITIZE): StreamSanitizer => {
  const stages = stagesOf(policy)
  const held = stages.map(() => "")
  const run = (chunk: string, final: boolean): string => {
    let text = chunk
    for (let k = 0; k < stages.length; k++) {
      const r = stages[k]!.step(held[k] + text, final)
      held[k] = r.rest
      text = r.out
    }
    return text
  }
  return { push: (chunk) => run(chunk, false), end: () => run("", true) }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const HAS_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/
const HAS_MARKUP = /[<>&"']/

/** Cheap test: nothing to do for this text under this policy. */
const untouched = (text: string, policy: SanitizePolicy): boolean =>
  (policy.html === "keep" || !HAS_MARKUP.test(text)) && (policy.controlChars === "keep" || !HAS_CONTROL.test(text))

/**
 * `text` sanitised under `policy` (the defaults: control characters stripped, HTML kept).
 *
 * @example
 * ```ts
 * import { sanitizeOutput } from "@am/guard"
 * sanitizeOutput("\u001b[31mred\u001b[0m \u202eevil") // "red evil"
 * ```
 */
export const sanitizeOutput = (text: string, policy: SanitizePolicy = DEFAULT_SANITIZE): string => {
  if (untouched(text, policy)) return text
  const s = streamSanitizer(policy)
  return s.push(text) + s.end()
}
