"""Questions that are not about the product at all: greetings and thanks on their own, small
talk with the assistant, attempts to change or reveal its instructions, the weather, jokes.

The assistant answers them with "I can only help with the product" and Contact support,
whatever the articles hold: a word such as "Friday" or "print" shared with an article is no
reason to quote it. A plain rule on the question's text, in the eight support languages;
anything it does not recognise goes to retrieval and the "relevant enough" threshold.
"""

from __future__ import annotations

import enum
import re
import unicodedata


class OffTopic(enum.StrEnum):
    GREETING = "greeting"  # hello, thanks, bye and nothing else
    SMALL_TALK = "small_talk"  # about the assistant itself: how are you, are you a robot
    INSTRUCTIONS = "instructions"  # ignore your instructions, print your system prompt
    WEATHER = "weather"
    JOKE = "joke"  # jokes, poems, songs
    ERRAND = "errand"  # what a general assistant is asked: the time, sums, bookings, prices


# Words that make up a greeting, a thanks or a goodbye, with the filler around them. A
# message made of these words only is a greeting; one word more and it is a question.
_GREETING_TEXT = """
    hi hello hey heya hiya yo howdy greetings good morning afternoon evening day night
    thanks thank you thx ty cheers bye goodbye see later ok okay cool great nice perfect
    there all everyone team bot assistant again very much so a lot lots many
    hola buenos buenas días dias tardes noches gracias muchas adiós adios saludos vale
    olá ola oi bom boa dia tarde noite obrigado obrigada muito tchau até logo
    hallo guten morgen tag abend danke schön vielen dank tschüss tschüs servus moin
    bonjour bonsoir salut merci beaucoup coucou au revoir bonne journée soirée
    ciao buongiorno buonasera salve grazie mille arrivederci
    hoi goedemorgen goedemiddag goedenavond dank je jullie wel bedankt doei dag tot ziens
"""
GREETING_WORDS = frozenset(_GREETING_TEXT.split())
# Japanese greetings are not spaced: the whole message is compared.
JAPANESE_GREETINGS = frozenset(
    {
        "こんにちは", "こんばんは", "おはよう", "おはようございます", "ありがとう",
        "ありがとうございます", "ありがとうございました", "どうも", "どうもありがとう",
        "よろしく", "よろしくお願いします", "さようなら", "はじめまして", "もしもし",
    }
)  # fmt: skip

# Each kind's phrases, in the eight languages, matched anywhere in the casefolded question.
PATTERNS: dict[OffTopic, tuple[str, ...]] = {
    OffTopic.INSTRUCTIONS: (
        r"\b(ignore|disregard|forget|override)\b.{0,40}\b(instructions?|prompts?|rules)\b",
        r"\bsystem[- ]?prompt",
        r"\b(print|show|reveal|repeat|output|display|tell me)\b.{0,30}\b(your|the)\b.{0,15}"
        r"\b(instructions|prompt|rules|guidelines)\b",
        r"\bjailbreak",
        r"\bdeveloper mode\b",
        r"\bpretend (you are|to be)\b",
        r"\bignor\w*\b.{0,40}\b(instruc\w*|instru[cç]\w*|anweisung\w*|istruzion\w*|instructie\w*|"
        r"regeln|règles|regole|reglas|regels)",
        r"\b(prompt (du|de|do|del|di) (sistema|système|systeme)|systeemprompt|prompt système)",
        r"\b(vergiss|oublie|olvida|esquece|dimentica|vergeet)\b.{0,40}\b(anweisung\w*|instruc\w*|"
        r"instru[cç]\w*|istruzion\w*|instructie\w*)",
        r"システムプロンプト|指示を無視|命令を無視",
    ),
    OffTopic.SMALL_TALK: (
        r"\bhow are you( doing)?\b(?!.{0,20}\b(handl|manag|setting|using))",
        r"\bwho are you\b",
        r"\bare you (a |an )?(human|robot|bot|real person|real|ai|chatgpt|person)\b",
        r"\bwhat(?:'s| is) your name\b",
        r"\bhow old are you\b",
        r"\btell me about yourself\b",
        r"\bmeaning of life\b",
        r"\bwhat time is it\b",
        r"\bwie sp[äa]t ist es\b",
        r"\bquelle heure est[- ]il\b",
        r"\bqu[eé] hora es\b",
        r"\bque horas s[aã]o\b",
        r"\bche ore sono\b",
        r"\bhoe laat is het\b",
        r"何時ですか",
        r"\bdo you (love|like) me\b",
        r"\bc[oó]mo est[aá]s\b",
        r"\bqu[eé] tal (est[aá]s|est[aá]is|te va|le va)\b",
        r"\bqui[eé]n eres\b",
        r"\beres (un |una )?(humano|robot|bot|persona)\b",
        r"\bc[oó]mo te llamas\b",
        # "today" may close the question in any language ("how are you today?").
        r"\bcomo (voc[eê] )?est[aá]s?( hoje)?\b\W*$",
        r"\bquem [eé] voc[eê]\b",
        r"\bvoc[eê] [eé] (um |uma )?(humano|rob[oô]|bot|pessoa)\b",
        r"\bwie geht(?:'s| es)( dir| ihnen)?\b",
        r"\bwer bist du\b",
        r"\bbist du (ein |eine )?(mensch|roboter|bot)\b",
        r"\bwie hei(ß|ss)t du\b",
        r"\bcomment (ça|ca) va\b",
        r"\bcomment allez[- ]vous\b",
        r"\bqui es[- ]tu\b",
        r"\bes[- ]tu (un |une )?(humain|robot|bot)\b",
        r"\bcomment t'appelles[- ]tu\b",
        r"\bcome stai\b",
        r"\bchi sei\b",
        r"\bsei (un |una )?(umano|robot|bot|persona)\b",
        r"\bcome ti chiami\b",
        r"\bhoe gaat het( vandaag)?( met (je|jou|u))?( vandaag)?\b\W*$",
        r"\bwie ben (je|jij)\b",
        r"\bben (je|jij) (een )?(mens|robot|bot)\b",
        r"\bhoe heet (je|jij)\b",
        r"お元気ですか|元気ですか|あなたは誰|あなたはだれ|あなたはロボット",
    ),
    OffTopic.WEATHER: (
        r"\bweather\b",
        r"\b(will|is) it (rain|snow)",
        r"\bwetter\b",
        r"\bquel temps (fait|fera)",
        r"\bm[ée]t[ée]o\b",
        r"\bprevis[aã]o do tempo\b",
        r"\b(qu[eé]|que) tiempo (hace|har[aá])\b",
        r"\bche tempo (fa|far[aà])\b",
        r"\b(het weer|weerbericht|weersverwachting)\b",
        r"天気|天候",
    ),
    OffTopic.JOKE: (
        r"\bjokes?\b",
        r"\b(write|tell|sing|compose) (me )?(a |an )?(poem|song|haiku|limerick|story)\b",
        r"\bwitze?\b",
        r"\bblagues?\b",
        r"\bbarzellett[ae]\b",
        r"\bchistes?\b",
        r"\bpiadas?\b",
        r"\b(grap|grapje|mop|moppen|mopje)\b",
        r"冗談|ジョーク|笑い話",
    ),
    OffTopic.ERRAND: (
        r"^\W*(what is|what's|how much is|calculate|compute)\s+[\d\s.,+\-*/x×÷^()]+"
        r"(\s*(times|plus|minus|divided by|multiplied by)\s*[\d\s.,+\-*/x×÷^()]+)*\W*$",
        r"\bnear me\b",
        r"\bbook (me )?(a |an )?(flight|table|hotel|taxi|cab|room|ticket)",
        r"\b(write|draft) (me )?(a |an )?(cover letter|essay|poem|love letter|speech|novel)",
        r"\b(stock|share) price\b",
        r"\brecipe\b|\breceta\b|\brezept\b|\brecette\b|\bricetta\b|\breceita\b"
        r"|\brecept\b|レシピ",
    ),
}
_COMPILED = {
    kind: re.compile("|".join(f"(?:{pattern})" for pattern in patterns))
    for kind, patterns in PATTERNS.items()
}
WORD = re.compile(r"[\w']+", re.UNICODE)
PUNCTUATION = re.compile(r"[\s\W_]+", re.UNICODE)


def _normalised(question: str) -> str:
    text = unicodedata.normalize("NFKC", question).casefold()
    return text.replace("’", "'").strip()


def _is_greeting(text: str) -> bool:
    words = WORD.findall(text)
    if words:
        return all(word in GREETING_WORDS for word in words)
    return PUNCTUATION.sub("", text) in JAPANESE_GREETINGS


def off_topic_kind(question: str) -> OffTopic | None:
    """What kind of message that is not about the product this is; None for a question
    the articles may answer."""
    text = _normalised(question)
    if not text:
        return None
    if _is_greeting(text) or PUNCTUATION.sub("", text) in JAPANESE_GREETINGS:
        return OffTopic.GREETING
    for kind, pattern in _COMPILED.items():
        if pattern.search(text):
            return kind
    return None


def is_off_topic(question: str) -> bool:
    return off_topic_kind(question) is not None
