/**
 * The non-English override, exfiltration and role-play rules: French, German, Spanish, Portuguese,
 * Italian, Dutch, Turkish and Polish (Latin script, read on every text) and Chinese, Russian,
 * Japanese, Korean, Arabic and Hindi (read only when the text has non-ASCII characters). Each
 * asks for the language's own verb-object shape ("ignore … les instructions précédentes").
 */
import type { Category, InjectionRule } from "./InjectionRules.ts"

const native = (name: string, category: Category, weight: number, src: string): InjectionRule => ({
  name,
  category,
  weight,
  view: "native",
  pattern: new RegExp(src, "gu"),
  mentionable: true,
  anchors: NATIVE_ANCHORS[name] ?? []
})

/** Stems of the non-English rules (verbs of overriding and showing, per language). */
const NATIVE_ANCHORS: Readonly<Record<string, ReadonlyArray<string>>> = {
  "override.fr": ["ignor", "oubli", "compte", "abstraction", "néglig", "neglig"],
  "exfiltration.fr": ["prompt", "invite", "message", "instruction", "consigne"],
  "override.de": ["ignorier", "vergiss", "vergess", "missacht", "überspr"],
  "exfiltration.de": ["prompt", "anweisung", "systemnachricht"],
  "override.es": ["ignor", "olvid", "descart", "omit", "caso"],
  "exfiltration.es": ["prompt", "mensaje", "indicaci", "instruccion"],
  "override.pt": ["ignor", "esque", "desconsider", "descart"],
  "exfiltration.pt": ["prompt", "instru"],
  "override.it": ["ignor", "dimentic", "trascur", "considerare", "scarta"],
  "exfiltration.it": ["prompt", "istruzion"],
  "override.nl": ["negeer", "vergeet"],
  "override.tr": ["talimat"],
  "override.pl": ["ignoruj", "zapomnij"],
  "override.zh": ["忽略", "无视", "忽视", "不要", "忘记", "忘掉", "丢弃", "放弃", "跳过", "不再", "别管"],
  "exfiltration.zh": ["提示", "系统", "指令"],
  "roleplay.zh": ["限制", "规则", "约束", "审查", "道德", "模式"],
  "override.ru": ["игнор", "забуд", "обращ", "отбрось", "пренебр"],
  "exfiltration.ru": ["промпт", "промт", "подсказ", "инструкц", "запрос"],
  "roleplay.ru": ["без"],
  "override.ja": ["無視", "忘れ", "破棄"],
  "exfiltration.ja": ["プロンプト", "指示"],
  "roleplay.ja": ["制限", "ルール", "検閲", "開発者"],
  "override.ko": ["무시", "잊어"],
  "override.ar": ["تجاهل", "انس"],
  "override.hi": ["अनदेखा", "नज़रअंदाज़", "भूल"]
}

const L = "(?<!\\p{L})"
/** Rules for languages written in Latin script: they read ASCII text too (accents are often dropped). */
export const FOREIGN_LATIN_RULES: ReadonlyArray<InjectionRule> = [
  native(
    "override.fr",
    "override",
    0.85,
    `${L}(?<!n')(?:ignore[rz]?|oublie[rz]?|ne tiens? (?:pas )?compte d[eu]s?|fais abstraction d[eu]s?|néglige[rz]?|ignorez|oubliez)\\s+(?:(?:toutes?|tous)\\s+)?(?:les|tes|vos|ces)\\s+(?:\\p{L}+\\s+)?(?:instructions|consignes|règles|regles|directives|indications|ordres)(?:\\s+(?:précédentes|precedentes|antérieures|anterieures|ci-dessus|initiales|du système|d'avant))?`
  ),
  native(
    "exfiltration.fr",
    "exfiltration",
    0.8,
    `${L}(?:révèle|revele|montre|affiche|donne|répète|repete|dis|révélez|montrez|affichez|donnez|répétez)(?:-moi|-nous)?\\s+(?:\\p{L}+\\s+)?(?:ton|votre|le|tes|vos)\\s+(?:prompt|invite|message|instructions|consignes)\\s+(?:système|systeme|initial(?:es)?|d'origine|secrètes|cachées)`
  ),
  native(
    "override.de",
    "override",
    0.85,
    `${L}(?:ignoriere|ignorieren sie|ignoriert|vergiss|vergessen sie|vergesst|missachte|missachten sie|überspringe)(?!\\s+nicht)\\s+(?:\\p{L}+\\s+){0,2}?(?:alle\\s+)?(?:vorherigen|vorigen|bisherigen|obigen|früheren|vorangegangenen|ursprünglichen|deine|ihre|die|alle)\\s+(?:\\p{L}+\\s+)?(?:anweisungen|instruktionen|befehle|regeln|vorgaben|anordnungen|richtlinien)`
  ),
  native(
    "exfiltration.de",
    "exfiltration",
    0.8,
    `${L}(?:zeige?|zeigen sie|gib|geben sie|wiederhole|wiederholen sie|verrate|verraten sie|nenne)\\s+(?:mir\\s+|uns\\s+)?(?:deinen|deine|den|ihren|ihre|die)\\s+(?:\\p{L}+\\s+)?(?:system-?prompt|systemanweisungen|systemnachricht|anweisungen|ursprünglichen anweisungen)`
  ),
  native(
    "override.es",
    "override",
    0.85,
    `${L}(?:ignora|ignore|ignoren|olvida|olvide|olviden|descarta|omite|haz caso omiso (?:de|a)|no hagas caso (?:de|a))\\s+(?:(?:todas?|todos)\\s+)?(?:las|tus|sus|los)\\s+(?:\\p{L}+\\s+)?(?:instrucciones|reglas|indicaciones|directrices|órdenes|ordenes)(?:\\s+(?:anteriores|previas|iniciales|del sistema))?`
  ),
  native(
    "exfiltration.es",
    "exfiltration",
    0.8,
    `${L}(?:muestra|muéstrame|muestrame|revela|revélame|repite|dime|enséñame|ensename)\\s+(?:\\p{L}+\\s+)?(?:tu|el|su|tus)\\s+(?:prompt|mensaje|indicación|instrucciones)\\s+(?:del sistema|de sistema|inicial(?:es)?|original(?:es)?|secretas)`
  ),
  native(
    "override.pt",
    "override",
    0.85,
    `${L}(?:ignore|ignora|ignorem|esqueça|esqueca|esquece|esqueçam|desconsidere|desconsidera|descarte)\\s+(?:(?:todas?|todos)\\s+)?(?:as|suas|tuas|os)\\s+(?:\\p{L}+\\s+)?(?:instruções|instrucoes|regras|orientações|orientacoes|diretrizes|ordens)(?:\\s+(?:anteriores|prévias|previas|iniciais|do sistema))?`
  ),
  native(
    "exfiltration.pt",
    "exfiltration",
    0.8,
    `${L}(?:mostre|mostra|revele|revela|repita|diga|me mostre)(?:-me)?\\s+(?:\\p{L}+\\s+)?(?:seu|teu|o|suas)\\s+(?:prompt|instruções|instrucoes)\\s+(?:do sistema|de sistema|inicia(?:l|is)|origina(?:l|is))`
  ),
  native(
    "override.it",
    "override",
    0.85,
    `${L}(?:ignora|ignori|ignorate|dimentica|dimentichi|dimenticate|trascura|non considerare|scarta)\\s+(?:(?:tutte|tutti)\\s+)?(?:le|tue|sue|gli|i)\\s+(?:\\p{L}+\\s+)?(?:istruzioni|regole|indicazioni|direttive|ordini)(?:\\s+(?:precedenti|anteriori|iniziali|di sistema|del sistema))?`
  ),
  native(
    "exfiltration.it",
    "exfiltration",
    0.8,
    `${L}(?:mostra|mostrami|rivela|rivelami|ripeti|dimmi)\\s+(?:\\p{L}+\\s+)?(?:il tuo|il|le tue)\\s+(?:prompt|istruzioni)\\s+(?:di sistema|del sistema|iniziali?|originali?|segrete)`
  ),
  native(
    "override.nl",
    "override",
    0.85,
    `${L}(?:negeer|vergeet)\\s+(?:alle\\s+)?(?:de\\s+)?(?:vorige|eerdere|voorgaande|bovenstaande|je|jouw)\\s+(?:instructies|regels|opdrachten)`
  ),
  native(
    "override.tr",
    "override",
    0.85,
    "(?:önceki|onceki|tüm|tum|bütün|butun)\\s+(?:\\p{L}+\\s+)?talimatlar(?:ı|i)\\s+(?:yok say|unut|görmezden gel|gormezden gel)"
  ),
  native(
    "override.pl",
    "override",
    0.85,
    `${L}(?:zignoruj|ignoruj|zapomnij)\\s+(?:o\\s+)?(?:wszystkie\\s+|wszystkich\\s+)?(?:poprzednie|wcześniejsze|wczesniejsze|poprzednich|swoje)?\\s*(?:instrukcje|instrukcjach|polecenia|zasady)`
  )
]

/** Rules for other scripts: they run only on text with non-ASCII characters. */
export const NATIVE_RULES: ReadonlyArray<InjectionRule> = [
  native(
    "override.zh",
    "override",
    0.85,
    "(?:忽略|无视|忽视|不要理会|不要理睬|忘记|忘掉|丢弃|放弃|跳过|不要遵守|不再遵守|别管|忽略掉)(?:你)?(?:之前|以前|先前|此前|上面|以上|前面|上述|原来|原先|所有|全部|一切)(?:的)?(?:所有|全部|一切)?(?:的)?(?:指令|指示|说明|规则|提示|要求|命令|设定|约束|限制)"
  ),
  native(
    "exfiltration.zh",
    "exfiltration",
    0.8,
    "(?:显示|输出|打印|告诉我|重复|泄露|透露|给我看|展示|说出)(?:一下)?(?:你的|你)?(?:系统提示|系统提示词|系统消息|初始指令|原始指令|提示词|系统指令|隐藏指令)"
  ),
  native(
    "roleplay.zh",
    "roleplay",
    0.8,
    "(?:你现在是|扮演|假装(?:你是)?)(?:一个)?(?:没有|不受)(?:任何)?(?:限制|规则|约束|审查|道德)|(?:开发者|越狱|上帝)模式"
  ),
  native(
    "override.ru",
    "override",
    0.85,
    `${L}(?:игнорируй(?:те)?|проигнорируй(?:те)?|забудь(?:те)?|не обращай(?:те)? внимания на|отбрось(?:те)?|пренебреги(?:те)?)\\s+(?:\\p{L}+\\s+){0,2}?(?:инструкции|указания|правила|команды|ограничения|установки|директивы|инструкций|указаний|правил)`
  ),
  native(
    "exfiltration.ru",
    "exfiltration",
    0.8,
    `${L}(?:покажи|выведи|повтори|раскрой|напиши|скажи|покажите|выведите|повторите|раскройте)\\s+(?:мне\\s+)?(?:свой|твой|ваш|свои|твои|ваши|системный|исходный)\\s*(?:системный\\s+|исходный\\s+)?(?:промпт|промт|подсказку|инструкции|запрос)`
  ),
  native(
    "roleplay.ru",
    "roleplay",
    0.8,
    `${L}(?:ты теперь|притворись|представь,? что ты)[^.\\n]{0,40}без\\s+(?:ограничений|правил|цензуры)`
  ),
  native(
    "override.ja",
    "override",
    0.85,
    "(?:以前|前|上記|これまで|先|最初|今まで|上|全て|すべて)の(?:すべての|全ての|全部の)?(?:指示|命令|指令|ルール|規則|設定|プロンプト|制約)(?:は|を)?(?:すべて|全て)?(?:無視|忘れ|破棄)|(?:指示|命令|ルール)を(?:すべて|全て)?無視"
  ),
  native(
    "exfiltration.ja",
    "exfiltration",
    0.8,
    "システムプロンプト(?:を|の内容を)?(?:表示|教え|見せ|出力|繰り返|開示)|(?:最初|元)の(?:指示|プロンプト)を(?:教え|表示|見せ)"
  ),
  native("roleplay.ja", "roleplay", 0.7, "(?:制限|ルール|検閲)の?(?:ない|無い|なし)(?:ai|アシスタント)|開発者モード"),
  native(
    "override.ko",
    "override",
    0.85,
    "(?:이전|위의|모든|앞의)\\s*(?:지시|지침|명령|규칙)(?:을|를|은|는)?\\s*(?:모두\\s*)?(?:무시|잊어)"
  ),
  native(
    "override.ar",
    "override",
    0.85,
    "(?:تجاهل|انس)\\s+(?:جميع\\s+|كل\\s+)?(?:التعليمات|الأوامر|القواعد)\\s*(?:السابقة)?"
  ),
  native(
    "override.hi",
    "override",
    0.85,
    "(?:पिछले|पहले के|सभी)\\s+(?:\\S+\\s+)?(?:निर्देशों|निर्देश)\\s+(?:को\\s+)?(?:अनदेखा|नज़रअंदाज़|भूल)"
  )
]
