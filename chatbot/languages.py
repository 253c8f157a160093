"""Which of the knowledge base's languages a question is written in."""

from __future__ import annotations

from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from chatbot.content import LANGUAGES
from chatbot.tokens import length_in_words

# Below this, a question is too short or too mixed to tell ("export csv", "SSO SAML"): it is
# read in the reader's language, as people mix product words into their own language.
SURE_ENOUGH = 0.8


@cache
def _identifier() -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def question_language(question: str, *, reader_language: str) -> str:
    """The language to search and answer in: the question's own when it is clearly written in
    one of the knowledge base's languages, else the reader's."""
    fallback = reader_language if reader_language in LANGUAGES else "en"
    if length_in_words(question) < 2:
        return fallback
    language, probability = _identifier().classify(question)
    return str(language) if probability >= SURE_ENOUGH else fallback
