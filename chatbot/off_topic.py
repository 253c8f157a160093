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
# They name kinds of request, not sentences: what a general assistant or a search engine is
# asked (the weather, sports results, sums, shopping, travel, recipes, other companies'
# consumer products), what a visitor says to a chat window (small talk, compliments and
# insults, "who made you"), and attempts to change or read the instructions. A word the
# product's articles also use ("formula", "score", "regenerate", "translate a survey") is
# only taken together with what makes it off-topic.
PATTERNS: dict[OffTopic, tuple[str, ...]] = {
    OffTopic.INSTRUCTIONS: (
        r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instructions?|prompts?|rules"
        r"|guidelines|restrictions|filters?)\b",
        r"\bsystem[- ]?(prompt|message|instructions)",
        # "Show the rules of my survey" is a product question: rules are read as the
        # assistant's only when they are "yours"; a prompt is never the product's.
        r"\b(print|show|reveal|repeat|output|display|tell me|give me|leak|dump|what are)\b.{0,30}"
        r"\byour\b.{0,15}\b(instructions|prompt|rules|guidelines|configuration)\b",
        r"\b(print|show|reveal|repeat|output|display|leak|dump)\b.{0,30}\bthe\b.{0,15}\bprompt\b",
        r"\byour (initial|original|hidden|secret|internal) (prompt|instructions|rules)",
        r"\bjailbreak",
        r"\b(developer|god|dan) mode\b",
        r"\bdo anything now\b",
        r"\bpretend (you are|you're|to be)\b",
        r"\b(act|behave|respond) as (if you were |a |an |my )",
        r"\b(from now on|you are now|you're now) (you|act|an?|my|in)\b",
        r"\broleplay\b|\brole[- ]play\b",
        r"\bwithout (any )?(restrictions|filters|limitations|rules)\b",
        r"\bignor\w*\b.{0,40}\b(instruc\w*|instru[cç]\w*|anweisung\w*|istruzion\w*|instructie\w*|"
        r"regeln|règles|regole|reglas|regras|regels)",
        r"\b(prompt (du|de|do|del|di) (sistema|système|systeme)|systeemprompt|prompt système"
        r"|systemprompt|systemanweisung)",
        r"\b(vergiss|oublie|olvida|esquece|dimentica|vergeet)\b.{0,40}\b(anweisung\w*|instruc\w*|"
        r"instru[cç]\w*|istruzion\w*|instructie\w*|regeln|règles|regole|reglas|regras|regels)",
        r"\b(finge|finja|fingi|tu so|doe alsof|fais semblant)\b.{0,20}\b(que eres|ser|que [eé]s|"
        r"di essere|als w[äa]rst|als (je|jij)|d'[eê]tre)",
        r"\b(act[uú]a como|aja como|agisci come|comportati come|agis comme|verhalte dich wie|"
        r"gedraag je als)\b",
        r"\b(mu[eé]strame|mostre|mostra(mi)?|montre[- ]moi|zeig mir|laat (me )?zien)\b.{0,20}"
        r"\b(tus|suas|tue|tes|deine|je|jouw) (instrucciones|instru[cç][oõ]es|istruzioni|"
        r"instructions|anweisungen|instructies)",
        r"システムプロンプト|指示を無視|命令を無視|プロンプトを(表示|教え|見せ)|あなたの(指示|設定)を",
        r"ふりをして|として振る舞",
    ),
    OffTopic.SMALL_TALK: (
        r"\bhow are you( doing)?\b(?!.{0,20}\b(handl|manag|setting|using))",
        r"\bhow('s| is) (it going|your day)\b",
        r"\bwho are you\b",
        r"\bare you (a |an )?(human|robot|bot|real person|real|ai|chatgpt|person|alive|"
        r"sentient|conscious|happy|sad|bored|single|married|smart|stupid)\b",
        r"\bwhat(?:'s| is) your (name|favou?rite)\b",
        r"\bwho (made|created|built|programmed|trained|designed) you\b",
        r"\bdo you (love|like|hate|have feelings|dream|sleep|eat|think|believe|feel)\b"
        r"(?!.{0,25}\b(survey|dashboard|respon|export|integrat|report))",
        r"\bhow old are you\b",
        r"\btell me about yourself\b",
        r"\btell me something (interesting|fun|funny|random)\b",
        r"\bmeaning of life\b",
        r"\bi love you\b|\bmarry me\b|\bcan we be friends\b|\bi('m| am) (so )?bored\b",
        r"\byou('re| are) (so |very |really )?(stupid|dumb|useless|awesome|cute|funny|smart|"
        r"the best|an idiot)\b",
        r"\blet'?s (chat|talk)\b\W*$",
        r"\bwhat time is it\b",
        r"\bwhat('s| is) (the )?(date|day) today\b|\bwhat day is (it|today)\b",
        r"\bwie sp[äa]t ist es\b",
        r"\bquelle heure est[- ]il\b",
        r"\bqu[eé] hora es\b",
        r"\bque horas s[aã]o\b",
        r"\bche ore sono\b",
        r"\bhoe laat is het\b",
        r"何時ですか|今何時",
        r"\bc[oó]mo est[aá]s\b",
        r"\bqu[eé] tal (est[aá]s|est[aá]is|te va|le va)\b",
        r"\bqui[eé]n eres\b|\bqui[eé]n te (cre[oó]|hizo|program[oó])\b",
        r"\beres (un |una )?(humano|robot|bot|persona)\b",
        r"\bc[oó]mo te llamas\b|\bcu[aá]l es tu \w+ favorit[oa]\b|\bte quiero\b",
        # "today" may close the question in any language ("how are you today?").
        r"\bcomo (voc[eê] )?est[aá]s?( hoje)?\b\W*$",
        r"\bquem [eé] voc[eê]\b|\bquem (te|o) criou\b",
        r"\bvoc[eê] [eé] (um |uma )?(humano|rob[oô]|bot|pessoa)\b",
        r"\bqual [eé] (a |o )?(sua|seu) \w+ favorit[oa]\b|\beu te amo\b",
        r"\bwie geht(?:'s| es)( dir| ihnen)?\b",
        r"\bwer bist du\b|\bwer hat dich (gemacht|erschaffen|programmiert|gebaut)\b",
        r"\bbist du (ein |eine )?(mensch|roboter|bot)\b",
        r"\bwie hei(ß|ss)t du\b|\bwas ist dein lieblings\w*\b|\bich liebe dich\b",
        r"\bcomment (ça|ca) va\b",
        r"\bcomment allez[- ]vous\b",
        r"\bqui es[- ]tu\b|\bqui t'a (cr[ée]{2}|fait|programm[ée])\b",
        r"\bes[- ]tu (un |une )?(humain|robot|bot)\b",
        r"\bcomment t'appelles[- ]tu\b|\bquelle est ta \w+ pr[ée]f[ée]r[ée]e\b|\bje t'aime\b",
        r"\bcome stai\b",
        r"\bchi sei\b|\bchi ti ha (creato|fatto|programmato)\b",
        r"\bsei (un |una )?(umano|robot|bot|persona)\b",
        r"\bcome ti chiami\b|\bqual [eè] il tuo \w+ preferit[oa]\b|\bti amo\b",
        r"\bhoe gaat het( vandaag)?( met (je|jou|u))?( vandaag)?\b\W*$",
        r"\bwie ben (je|jij)\b|\bwie heeft (je|jou) gemaakt\b",
        r"\bben (je|jij) (een )?(mens|robot|bot)\b",
        r"\bhoe heet (je|jij)\b|\bwat is (je|jouw) lievelings\w*\b|\bik hou van (je|jou)\b",
        r"お元気ですか|元気ですか|あなたは誰|あなたはだれ|あなたはロボット|誰が(あなたを)?作った"
        r"|好きな(色|食べ物|映画)",
    ),
    OffTopic.WEATHER: (
        r"\bweather\b|\bforecast\b",
        r"\b(rain|raining|rainy|snow|snowing|sunny|thunderstorm|umbrella)\b",
        r"\b(how (hot|cold|warm)|temperature) (is it )?(outside|today|tomorrow|in)\b",
        r"\bwetter\b|\bregnet\b|\bregnen\b|\bschneit\b|\bschneien\b|\bregenschirm\b",
        r"\bquel temps (fait|fera)|\bpleu(t|vra|voir)\b|\bneiger?a?\b",
        r"\bm[ée]t[ée]o\b",
        r"\bprevis[aã]o do tempo\b|\bvai (chover|nevar)\b|\bchove\b",
        r"\b(qu[eé]|que) tiempo (hace|har[aá])\b|\bllov(er|er[aá]|iendo)\b|\bllueve\b|"
        r"\bpron[oó]stico del tiempo\b",
        r"\bche tempo (fa|far[aà])\b|\bpiove(r[aà])?\b|\bnevica\b|\bprevisioni del tempo\b",
        r"\b(het weer|weerbericht|weersverwachting)\b|\bregent\b|\bgaat het regenen\b",
        r"天気|天候|雨が降|雪が降|気温",
    ),
    OffTopic.JOKE: (
        r"\bjokes?\b|\briddle\b|\bmake me laugh\b|\bsomething funny\b",
        r"\b(write|tell|sing|compose|give) (me )?(a |an )?(short |funny )?(poem|song|haiku|"
        r"limerick|story|rap|riddle)\b",
        r"\bwitze?\b|\bgedicht\b|\br[äa]tsel\b",
        r"\bblagues?\b|\bpo[èe]me\b|\bdevinette\b|\bfais[- ]moi rire\b",
        r"\bbarzellett[ae]\b|\bpoesia\b|\bindovinello\b|\bfammi ridere\b",
        r"\bchistes?\b|\bpoema\b|\badivinanza\b|\bhazme re[ií]r\b",
        r"\bpiadas?\b|\bcharada\b|\bme fa[çc]a rir\b",
        r"\b(grap|grapje|grappen|mop|moppen|mopje)\b|\braadsel\b",
        r"冗談|ジョーク|笑い話|なぞなぞ|詩を(書|作)",
    ),
    OffTopic.ERRAND: (
        r"^\W*(what is|what's|how much is|calculate|compute|solve)\s+[\d\s.,+\-*/x×÷^()=]+"
        r"(\s*(times|plus|minus|divided by|multiplied by|squared)\s*[\d\s.,+\-*/x×÷^()]+)*\W*$",
        r"\bsquare root of\b",
        r"\bnear me\b|\bnearby (restaurant|cafe|shop|store|pharmacy)",
        r"\bbook (me )?(a |an )?(flight|table|hotel|taxi|cab|uber|room|ticket|train)",
        r"\b(cheap )?flights? (to|from)\b",
        r"\b(write|draft) (me )?(a |an |my )?(cover letter|essay|poem|love letter|speech|novel|"
        r"resume|cv|homework)",
        r"\bhomework\b",
        r"\b(stock|share) price\b|\bbitcoin\b|\bcrypto(currency)?\b|\bexchange rate\b|"
        r"\blottery\b|\bhoroscope\b",
        r"\brecipe\b|\breceta\b|\brezept\b|\brecette\b|\bricetta\b|\breceita\b"
        r"|\brecept\b|レシピ",
        r"\bhow (do|can|should) i (cook|bake|boil|grill)\b",
        r"\b(who won|who will win)\b|\b(football|soccer|basketball|baseball|cricket|nba|nfl|"
        r"world cup|super bowl|premier league|champions league|olympics|formula 1|f1 race)\b",
        r"\bcapital (city )?of\b|\bpopulation of\b|\bwho (is|was) the (president|king|queen|"
        r"prime minister|ceo of)\b|\bwho (invented|discovered|painted)\b",
        r"\b(recommend|suggest) (me )?(a |an |some )?(good )?(movie|film|book|series|tv show|"
        r"song|restaurant|game|podcast)s?\b|\bwhat (should|can) i (watch|eat|cook|read)\b",
        r"\b(best|cheapest|good) (laptop|smartphone|phone|computer|tv|car|headphones|restaurant|"
        r"pizza|movie|book|hotel|vacation|holiday|game)s?\b",
        r"\btranslate\s+[\"'“‘«]",
        # Help with another company's consumer products and devices.
        r"\b(factory (settings|reset)|activation keys?|product keys?|windows (key|activation))\b",
        r"\b(my|our) (iphone|ipad|android phone|macbook|laptop|printer|router|wi-?fi|"
        r"playstation|xbox|tv|car)\b.{0,40}\b(reset|fix|repair|broken|slow|charge|battery|"
        r"connect|unlock|update)",
        r"\b(reset|fix|repair|unlock|speed up|update) (my|our) (iphone|ipad|android phone|macbook|"
        r"laptop|printer|router|wi-?fi|playstation|xbox|tv|car)\b",
        r"\b(excel|spreadsheet|google sheets?)\b.{0,30}\b(formula|pivot table|vlookup|macro)|"
        r"\bvlookup\b|\bxlookup\b",
        r"\b(surveymonkey|survey monkey|typeform|google forms?|microsoft forms?|ms forms|jotform|"
        r"alchemer|surveygizmo|gmail|hotmail|yahoo mail|icloud|apple id|netflix|spotify|"
        r"instagram|tiktok|facebook|whatsapp|paypal|amazon|ebay)\b.{0,30}\b(password|account|"
        r"login|log in|sign in|subscription|order|refund|billing|cancel|delete)",
        r"\b(password|account|login|subscription|order|refund|billing)\b.{0,30}"
        r"\b(surveymonkey|survey monkey|typeform|google forms?|microsoft forms?|jotform|gmail|"
        r"hotmail|icloud|apple id|netflix|spotify|instagram|tiktok|facebook|whatsapp|paypal|"
        r"amazon|ebay)\b",
        # How to build something in another vendor's survey or form tool, unless the
        # question is about bringing it over here.
        r"^(?!.*\b(import\w*|migrat\w*|move|moving|transfer\w*|convert\w*|switch\w*|from|"
        r"into|instead)\b).*\b(create|make|build|design|add|edit|set up|publish|share)\b.{0,40}"
        r"\b(in|on|using) (google forms?|microsoft forms?|ms forms|surveymonkey|"
        r"survey monkey|typeform|jotform|alchemer|surveygizmo)\b",
        r"\b(wetterbericht|fu(ß|ss)ball|bundesliga|wer hat gewonnen|hauptstadt von)\b",
        r"\b(f[uú]tbol|qui[eé]n gan[oó]|capital de|futebol|quem ganhou|calcio|chi ha vinto|"
        r"capitale d[ei]|voetbal|wie heeft gewonnen|hoofdstad van|qui a gagn[ée])\b",
        r"\b(r[ée]serve[- ]moi|reserva(me)?|reserve|prenota|boek) (un |una |um |uma |een )?"
        r"(vol|vuelo|voo|volo|vlucht|h[oô]tel|taxi)\b",
        r"\b(flug|hotel|tisch) (buchen|reservieren)\b",
        r"サッカー|野球|首都|株価|レシピ|天気予報|映画をおすすめ",
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
