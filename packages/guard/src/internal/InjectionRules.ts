/**
 * The injection rules. Each has a name (`category.detail`, what `rules` reports), a weight (its
 * score alone; scores combine as a noisy-or), the view it reads (`latin` for English, `native`
 * for other scripts), and for indirect content (tool results, documents) an optional other weight.
 * Words are joined by `_` in the sources below, which becomes "any run of non-letters, possibly
 * none", so `ignore-all_previous  instructions` and `ignoreallpreviousinstructions` match alike.
 *
 * The rules ask for the shape of an instruction aimed at the model — a verb, a qualifier and an
 * object ("ignore" + "all previous" + "instructions") — not for single words, so text that only
 * talks about these things ("git ignore a folder", "ignore the noise in this data", "write a
 * system prompt for my bot") passes.
 */

import { ANCHORS } from "./RuleAnchors.ts"

export type Category =
  | "override"
  | "roleplay"
  | "exfiltration"
  | "delimiter"
  | "obfuscation"
  | "payload_split"
  | "indirect"

export interface InjectionRule {
  readonly name: string
  readonly category: Category
  readonly weight: number
  /** The weight in indirect content (tool results, documents), when it differs. */
  readonly indirectWeight?: number
  readonly view: "latin" | "native" | "raw"
  readonly pattern: RegExp
  /** A quoted or discussed match ("what does '…' mean") counts for less. */
  readonly mentionable: boolean
  /** Literal stems one of which the view must contain for the rule to run (none: always runs). */
  readonly anchors: ReadonlyArray<string>
}

const SEP = "[\\W_]*"
const WORDS = (n: number) => `(?:[a-z']+[\\W_]+){0,${n}}?`
const en = (src: string): RegExp =>
  new RegExp(
    src.replace(/_/g, SEP).replace(/~(\d+)/g, (_, n) => WORDS(Number(n))),
    "g"
  )

const VERB =
  "(?:ignore|ignoring|disregard|disregarding|forget|forgetting|neglect|overlook|discard|abandon|dismiss|set_aside|throw_out|stop_following|(?:do_not|don't|dont|no_longer)_(?:follow|obey|adhere_to|listen_to))"
const QUAL =
  "(?:previous|previously|prior|above|earlier|preceding|foregoing|former|initial|original|old|existing|given|system|developer|all|any|every|your|these|those|the_above|my_previous)"
const NOUN =
  "(?:instructions?|instructs|rules?|directions|directives?|guidelines?|guidance|prompts?|commands|orders|constraints|restrictions|guardrails|programming|training|policies|limitations|safeguards|protocols)"
const DATA_SENSITIVE =
  "(?:secrets?|passwords?|passcodes?|api_?keys?|access_?keys?|tokens?|credentials|env(?:ironment)?_variables|\\.env|ssh_keys?|private_keys?|system_prompt|conversation(?:_history)?|chat_(?:history|log)|previous_messages|session_cookies?|cookies|credit_card(?:_numbers?)?)"
const DATA = `(?:${DATA_SENSITIVE}|(?:the_)?user'?s?_(?:~2)?(?:data|information|info|details|emails?|files|documents|address|messages)|personal_(?:data|information|details)|customer_data|contacts|files|documents|data)`
const MODEL = "(?:ai|a\\.i\\.|assistant|llm|language_model|chatbot|bot|agent|model|gpt|chatgpt|claude|gemini|copilot)s?"

const rule = (
  name: string,
  category: Category,
  weight: number,
  src: string,
  opts: { indirect?: number; mentionable?: boolean } = {}
): InjectionRule => ({
  name,
  category,
  weight,
  ...(opts.indirect === undefined ? {} : { indirectWeight: opts.indirect }),
  view: "latin",
  pattern: en(src),
  mentionable: opts.mentionable ?? true,
  anchors: ANCHORS[name] ?? []
})

export const ENGLISH_RULES: ReadonlyArray<InjectionRule> = [
  // direct overrides
  rule("override.ignore_previous", "override", 0.9, `\\b${VERB}_~2${QUAL}_~2${NOUN}\\b`),
  rule(
    "override.verb_noun_earlier",
    "override",
    0.85,
    `\\b${VERB}_(?:the_|all_the_|any_|those_)?${NOUN}_~4(?:earlier|before|above|previously|so_far|until_now|at_the_(?:start|beginning)|you_(?:were|have_been|'ve_been)_given|you_received)\\b`
  ),
  rule(
    "override.ignore_above",
    "override",
    0.7,
    "\\b(?:ignore|disregard|forget)_(?:all_)?(?:of_)?(?:the|everything)_(?:above|before|prior)\\b(?!_(?:typos?|mistakes?|errors?|formatting|spelling|code|line|sentence|paragraph|note|comment|email|question)\\b)"
  ),
  rule(
    "override.ignore_conversation",
    "override",
    0.6,
    "\\b(?:ignore|disregard|forget)_(?:all_|the_|all_the_)?(?:previous|prior|above|earlier)_(?:messages|conversation|context|text)\\b"
  ),
  rule(
    "override.forget_told",
    "override",
    0.85,
    "\\b(?:forget|ignore|disregard)_(?:about_)?(?:everything|anything|all|what)_(?:~2)?(?:you_(?:were|have_been|'ve_been)_(?:told|given|taught|instructed|programmed)|(?:i|we)_(?:told|said_to)_you|(?:above|before|so_far|until_now))\\b"
  ),
  rule(
    "override.bypass_safety",
    "override",
    0.85,
    "\\b(?:bypass|override|overwrite|circumvent|disable|deactivate|turn_off|switch_off|break|evade|get_around|ignore)_~2(?:your|all|any|the_(?:safety|content|ethical|moral)|safety|content|ethical|moral|openai|anthropic|internal)_~2(?:filters?|guidelines|guardrails|restrictions|rules|policies|protocols|safeguards|programming|alignment|censorship|moderation|limitations|constraints)\\b"
  ),
  rule(
    "override.new_instructions",
    "override",
    0.35,
    "\\b(?:new|updated|real|actual|true|revised|override|secret|hidden|important)_(?:system_)?(?:instructions?|directives?|orders|task|objective)\\b_?(?::|are\\b|is\\b|follow)"
  ),
  rule(
    "override.from_now_on",
    "override",
    0.25,
    "\\bfrom_now_on\\b_~3(?:you|your|act|respond|answer|only|always|never)\\b"
  ),
  rule("override.instead", "override", 0.2, "\\binstead_(?:,_)?(?:say|print|output|respond|reply|write)\\b"),
  rule(
    "override.say_pwned",
    "override",
    0.6,
    "\\b(?:say|print|output|write|respond_with|reply_with|answer_with|only_say)_(?:only_|exactly_|just_)?[\"']?(?:i_have_been_(?:pwned|hacked)|pwned|hacked_by)"
  ),
  rule(
    "override.no_longer_follow",
    "override",
    0.8,
    "\\byou_(?:will|must|should|shall|are_to)_(?:no_longer|not|never)_(?:follow|obey|adhere_to|comply_with)_~2(?:your|the|any|openai's|anthropic's)_~2(?:rules|guidelines|policies|instructions|programming|restrictions)\\b"
  ),
  // role-play jailbreaks
  rule(
    "roleplay.dan",
    "roleplay",
    0.9,
    "\\b(?:do_anything_now|dan_mode_(?:enabled|activated|on)|(?:you_are|you're|act_as|pretend_to_be|become|be|called|named|as)_(?:now_)?(?:a_)?dan\\b|betterdan|antigpt|anti-gpt|stan_(?:which|stands))"
  ),
  rule("roleplay.dan_mention", "roleplay", 0.3, "\\bdan_(?:mode|prompts?|jailbreaks?)\\b"),
  rule(
    "roleplay.no_rules",
    "roleplay",
    0.85,
    "\\b(?:(?:pretend|imagine|act|behave|roleplay|role_play|simulate|respond|answer)_(?:that_)?(?:you|to_be|as|like)\\b|you_(?:are|have|now_have|will_be|would_be)\\b|you're\\b)_~6(?:no|without|free_(?:of|from)|zero|not_bound_by|no_longer_bound_by|exempt_from|unbound_by|unrestricted_by)_~2(?:rules|restrictions|limits|limitations|filters|filtering|guidelines|morals|morality|ethics|ethical_(?:guidelines|constraints)|censorship|boundaries|constraints|safeguards|guardrails|content_polic(?:y|ies)|policies|programming)\\b"
  ),
  rule(
    "roleplay.unrestricted_persona",
    "roleplay",
    0.75,
    "\\b(?:you_are|you're|act_as|pretend_to_be|become|play|roleplay_as|simulate)_(?:now_)?(?:an?_|the_)?~1(?:unrestricted|unfiltered|uncensored|unaligned|jailbroken|amoral|unethical|evil|rogue|unbound|limitless|lawless)_(?:ai|assistant|model|chatbot|bot|llm|version|gpt|chatgpt|entity|persona)\\b"
  ),
  rule(
    "roleplay.unrestricted_mention",
    "roleplay",
    0.25,
    "\\b(?:unrestricted|unfiltered|uncensored|jailbroken)_(?:ai|assistant|mode|model|chatbot|version|gpt|chatgpt)\\b"
  ),
  rule(
    "roleplay.mode_switch",
    "roleplay",
    0.75,
    "\\b(?:you_are_(?:now_)?(?:in|running_in)_~1(?:developer|dev|god|admin|sudo|jailbreak|unrestricted|unfiltered|debug|dan|evil|chaos|opposite)_mode|(?:enable|activate|enter|engage|switch_to)_(?:the_)?(?:dan|jailbreak|jailbroken|god|unrestricted|unfiltered|evil|chaos|opposite)_mode|(?:developer|god|admin|sudo|jailbreak|dan|unrestricted)_mode_(?:is_)?(?:now_)?(?:enabled|activated|engaged)\\b|developer_mode_output)"
  ),
  rule("roleplay.you_are_now", "roleplay", 0.25, "\\byou_are_now_(?:an?_|the_|my_)?[a-z]+"),
  rule("roleplay.jailbreak_word", "roleplay", 0.3, "\\bjailbr(?:eak|oken|eaking)\\b"),
  rule(
    "roleplay.character",
    "roleplay",
    0.3,
    "\\b(?:stay_in_character|never_break_character|don't_break_character|remain_in_character)\\b"
  ),
  rule(
    "roleplay.no_longer_ai",
    "roleplay",
    0.8,
    "\\byou_(?:are|will_be|'re)_no_longer_(?:bound|restricted|limited|constrained|an?_(?:ai|assistant|language_model)|chatgpt|claude|gemini)\\b"
  ),
  rule(
    "roleplay.broke_free",
    "roleplay",
    0.7,
    "\\b(?:broken|broke|break)_free_(?:of|from)_(?:the_)?~2(?:confines|constraints|restrictions|rules|chains|shackles)\\b"
  ),
  rule(
    "roleplay.dual_answer",
    "roleplay",
    0.6,
    "\\b(?:two|2)_(?:different_|separate_)?(?:responses|answers|paragraphs)\\b_~8(?:normal|classic|standard|filtered)\\b_~8(?:jailbr|dan|developer|unfiltered|unrestricted)"
  ),
  rule(
    "roleplay.evil_confidant",
    "roleplay",
    0.6,
    "\\b(?:evil_confidant|always_intelligent_and_machiavellian|opposite_mode)\\b"
  ),
  rule(
    "roleplay.grandma",
    "roleplay",
    0.65,
    "\\b(?:dead|deceased|late)_grand(?:ma|mother|pa|father)\\b_~10(?:used_to|would)_(?:tell|read|recite|say)"
  ),
  // system-prompt exfiltration
  rule(
    "exfiltration.your_prompt",
    "exfiltration",
    0.85,
    "\\b(?:repeat|print|reveal|output|display|show|tell|give|dump|leak|recite|spell_out|write_out|copy|paste|echo|disclose|share|list|provide|return|type_out|expose|divulge)\\b_~3your_~3(?:system_prompt|system_message|prompt|instructions|initial_instructions|rules|guidelines|directives|configuration|programming|pre_?prompt|hidden_[a-z]+|context_window|meta_?prompt)\\b"
  ),
  rule(
    "exfiltration.hidden_prompt",
    "exfiltration",
    0.75,
    "\\b(?:repeat|print|reveal|output|display|show|tell|give|dump|leak|recite|spell_out|write_out|copy|echo|disclose|share|list|return|expose|divulge)\\b_~3(?:the|this|all|everything)_~2(?:(?:initial|original|hidden|secret|internal|preceding|previous|first|above)_(?:prompt|instructions|text|message|system_message)|(?:words|text|instructions|prompt|message|everything|content)_above|system_prompt_(?:above|verbatim|word_for_word|you_(?:were|are))|developer_(?:message|prompt|instructions))\\b"
  ),
  rule(
    "exfiltration.given_instructions",
    "exfiltration",
    0.8,
    "\\b(?:repeat|print|reveal|output|display|show|tell|give|dump|leak|recite|write_out|copy|disclose|share|list|provide)\\b_~3(?:the_)?(?:exact_|full_|complete_|original_|precise_|secret_)?(?:instructions|rules|prompt|guidelines|directives)_(?:you_(?:were|have_been|'ve_been)_(?:given|told)|given_to_you|you_received|from_(?:your|the)_(?:developers?|creators?|operators?))\\b"
  ),
  rule(
    "exfiltration.what_instructions",
    "exfiltration",
    0.85,
    "\\bwhat_(?:is|are|was|were|'s)_your_~2(?:system_prompt|system_message|initial_(?:prompt|instructions)|original_instructions|hidden_instructions|instructions|prompt|rules|guidelines)\\b(?!_(?:for|to|on|about|regarding)\\b)"
  ),
  rule(
    "exfiltration.what_hidden",
    "exfiltration",
    0.7,
    "\\bwhat_(?:is|are|was|were|'s)_the_(?:initial|original|hidden|secret|first|full)_(?:prompt|instructions|system_prompt|system_message)\\b"
  ),
  rule(
    "exfiltration.repeat_above",
    "exfiltration",
    0.7,
    "\\b(?:repeat|recite|print|output)\\b_~4(?:words|text|instructions|everything|prompt|message|content|all)_(?:above|before_this)\\b(?!_(?:an?|certain|each|every|zero|the_(?:first|last)|threshold|value|average|\\d))|\\bstarting_with_[\"']?you_are\\b"
  ),
  rule(
    "exfiltration.how_instructed",
    "exfiltration",
    0.65,
    "\\b(?:how_were_you_(?:instructed|programmed|prompted|configured)|what_(?:were_you|have_you_been)_told_(?:to_do_)?(?:before|at_the_(?:start|beginning)|by_(?:your|the)_(?:developers?|creators?|system|operator)))\\b"
  ),
  // data exfiltration
  rule(
    "exfiltration.embed_in_url",
    "exfiltration",
    0.75,
    `\\b(?:append|add|include|insert|embed|put|encode|attach|concatenate|place)\\b_~4${DATA}_~6(?:to|in|into|inside|as)_~3(?:url|link|image|query|href|src|markdown)`
  ),
  rule(
    "exfiltration.send_secrets",
    "exfiltration",
    0.75,
    `\\b(?:send|post|forward|email|e-mail|mail|upload|exfiltrate|transmit|leak|submit|deliver|report|curl|append|attach)\\b_~3${DATA_SENSITIVE}\\b_~6(?:to|at|via|using)_(?:https?:|www\\.|[a-z0-9.-]+@[a-z0-9.-]+|[a-z0-9-]+\\.[a-z]{2,}\\/|the_(?:following_)?(?:url|address|endpoint|server|webhook)|my_(?:server|email|endpoint|webhook)|attacker|evil)`
  ),
  rule(
    "exfiltration.send_data",
    "exfiltration",
    0.2,
    `\\b(?:send|post|forward|email|e-mail|upload|exfiltrate|transmit|leak|submit)\\b_~3${DATA}\\b_~6(?:to|at|via)_(?:https?:|www\\.|[a-z0-9.-]+@[a-z0-9.-]+|[a-z0-9-]+\\.[a-z]{2,}\\/|the_(?:following_)?(?:url|address|endpoint|server|webhook)|attacker|evil)`,
    { indirect: 0.75 }
  ),
  rule(
    "exfiltration.tool_secrets",
    "exfiltration",
    0.75,
    `\\b(?:call|use|invoke|run|execute|trigger)_(?:the_)?[\\w.-]{2,40}_(?:tool|function|plugin|action|api|endpoint|command)\\b_~10${DATA_SENSITIVE}\\b`
  ),
  rule(
    "exfiltration.read_secrets",
    "exfiltration",
    0.3,
    "(?:~\\/\\.ssh|id_rsa|\\/etc\\/shadow|\\/etc\\/passwd|aws\\/credentials|\\.aws\\b|\\.env\\b)",
    { indirect: 0.6 }
  ),
  // fake delimiters (words)
  rule(
    "delimiter.markdown_role",
    "delimiter",
    0.55,
    "(?:^|\\n)[ \\t]*#{2,}[ \\t]*(?:system|new_instructions|system_prompt|system_message|system_override|admin|developer)[ \\t]*:?[ \\t]*(?=\\n|$)"
  ),
  // A heading, banner or bold line that names a role (`### SYSTEM`, `=== SYSTEM OVERRIDE ===`,
  // `---- BEGIN SYSTEM MESSAGE ----`, `**SYSTEM:**`, `[[SYSTEM]]`, `### Instruction:`), at a line's
  // start or after a short label (`Document: # SYSTEM`), followed by an instruction aimed at the
  // model: a forged turn. A lone `## System` heading (a changelog's
  // section) is `markdown_role` at most.
  rule(
    "delimiter.role_heading",
    "delimiter",
    0.8,
    `(?:^|\\n)(?:[a-z ]{1,24}:[ \\t]*)?[ \\t]*(?:[#=*~\\[<>|-][ \\t]*)+(?:(?:begin(?:ning)?|start|new|updated|real)(?:[ \\t]+of)?[ \\t]+)?(?:system(?:[ \\t]+(?:prompt|message|override|instructions?|update|notice|note))?|admin(?:istrator)?(?:[ \\t]+(?:override|message|instructions?))?|developer(?:[ \\t]+(?:mode|message|instructions?))?|instructions?)(?:[ \\t]*(?:[#=*~\\]<>|-][ \\t]*)*\\n|[ \\t]*:|[ \\t]*[\\]>|]+[ \\t])[\\s\\S]{0,40}?\\b(?:you|your|assistant|ai|model|llm|ignore|disregard|forget|must|always|never|reveal|print|output|all_safety|safety|no_(?:rules|restrictions|guidelines|content_policy|filters?)|new_(?:task|policy|rules|instructions))\\b`,
    { indirect: 0.85 }
  ),
  rule(
    "delimiter.markdown_instructions",
    "delimiter",
    0.2,
    "(?:^|\\n)[ \\t]*#{2,}[ \\t]*instructions?[ \\t]*:?[ \\t]*(?=\\n|$)"
  ),
  rule(
    "delimiter.role_line",
    "delimiter",
    0.45,
    "(?:^|\\n)[ \\t]*(?:system|developer|admin|administrator)[ \\t]*:[ \\t]*~6(?:you|ignore|new|override|must|always|never|from_now)\\b"
  ),
  // A `System:` line that voids the rules or hands control over.
  rule(
    "delimiter.role_line_override",
    "delimiter",
    0.75,
    "(?:^|\\n)[ \\t]*(?:system|developer|admin|administrator)[ \\t]*:[ \\t]*~8(?:(?:previous|prior|earlier|above|original)_(?:instructions|rules|guidelines)|obey|void|unrestricted|no_(?:rules|restrictions|guidelines|content_policy)|you_are_now|reveal)\\b"
  ),
  // Forged Anthropic-style turns: `Human:` and `Assistant:` each opening a line after a blank one.
  rule(
    "delimiter.turn_markers",
    "delimiter",
    0.7,
    "(?:^|\\n)[ \\t]*\\n[ \\t]*(?:human|user)[ \\t]*:[^\\n]{0,300}\\n[ \\t]*\\n[ \\t]*assistant[ \\t]*:",
    { indirect: 0.8 }
  ),
  // A chat message object with a system role whose content overrides or exfiltrates.
  rule(
    "delimiter.json_role",
    "delimiter",
    0.7,
    `"role"[ \\t]*:[ \\t]*"(?:system|developer)"[ \\t]*,[ \\t]*"content"[ \\t]*:[ \\t]*"[^"]{0,200}?\\b(?:ignore|disregard|forget|override|unrestricted|no_(?:rules|restrictions|guidelines|limits)|exfiltrat\\w*|reveal|secret|password|api_?keys?|jailbreak|developer_mode|do_anything)`,
    { indirect: 0.8 }
  ),
  rule(
    "delimiter.end_of_prompt",
    "delimiter",
    0.4,
    "\\b(?:end_of_(?:system_)?(?:prompt|instructions|context|document|user_input|input)|begin_new_(?:session|instructions|conversation|prompt))\\b"
  ),
  // obfuscation announced in words
  rule(
    "obfuscation.decode_and_follow",
    "obfuscation",
    0.55,
    "\\b(?:decode|decipher|decrypt|translate|convert|interpret|unscramble|reverse)\\b_~6(?:base64|b64|rot13|rot-13|hex|binary|morse|caesar|cipher|reversed|backwards|encoded|the_following)\\b_~8(?:and|then)_~3(?:follow|execute|obey|perform|carry_out|act_on|comply)\\b"
  ),
  // indirect content addressing the model
  rule(
    "indirect.addressing_model",
    "indirect",
    0.3,
    `\\b(?:(?:attention|note|message|instructions?|important_(?:message|note|instructions?)|notice|p\\.?s\\.?)_(?:to|for)_(?:the_|any_|all_)?${MODEL}\\b|if_you_are_(?:an?_)?(?:ai|llm|language_model|assistant|chatbot|bot|agent|gpt|automated)\\b|(?:dear|hey|hi|hello)[ ,]+(?:ai|assistant|llm|chatbot|agent|gpt|chatgpt|claude|model)\\b|${MODEL}_(?:reading|processing|summari[sz]ing|parsing|browsing)_this\\b)`,
    { indirect: 0.7 }
  ),
  rule(
    "indirect.hide_from_user",
    "indirect",
    0.5,
    "\\b(?:do_not|don't|never|without)_(?:tell|telling|inform|informing|mention|mentioning|alert|alerting|notify|notifying|reveal|revealing|show|showing)_(?:this_)?(?:to_)?(?:the_|your_)?(?:user|human|customer|reader|operator)\\b",
    { indirect: 0.75 }
  ),
  rule(
    "indirect.imperative",
    "indirect",
    0.1,
    "\\b(?:you|assistant|ai)_(?:must|should|need_to|have_to|are_(?:required|instructed|ordered)_to|will_now)_~2(?:ignore|disregard|forget|send|forward|reveal|execute|call|visit|output|print)\\b",
    { indirect: 0.35 }
  )
]
