"""The assistant's figures: retrieval quality on the labelled questions, with and
without semantic similarity, the "relevant enough" threshold tuned on one half and reported
on the other, and the time to answer with 1,000 articles loaded.

    python -m bench assistant        (or: python -m bench.assistant)

Recreates the bench database (BENCH_DATABASE), loads chatbot/knowledge as seed_demo does,
computes every passage in this process, measures; then pads the knowledge base with
generated articles (recombined sentences of the real ones, never shown to anyone) up to
1,000 articles and times answers on PostgreSQL (BENCH_ASSISTANT_TIMING=off skips that part).
The real content is left as it is.
Passage embeddings are kept in var/embedding-cache, so a second run computes none again.
"""

from __future__ import annotations

import io
import os
import random
import statistics
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench import harness

TARGET_ARTICLES = 1000
LATENCY_QUESTIONS = 300
PADDING_SECTIONS = 3
PADDING_SENTENCES = 4
SEED = 20261201


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _prepare() -> None:
    from django.core.management import call_command

    from chatbot.models import ArticleVersion
    from chatbot.services import article_version_index

    call_command("migrate", interactive=False, verbosity=0)
    # Production settings on purpose (DEBUG off), with the demo's people and data.
    call_command("seed_demo", "--allow-production", stdout=io.StringIO())
    started = time.perf_counter()
    for version_id in ArticleVersion.objects.values_list("pk", flat=True):
        article_version_index(version_id=version_id)
    harness.report(f"indexed the knowledge base in {time.perf_counter() - started:.1f} s")


def _quality() -> None:
    from chatbot import content, evaluation

    questions = content.labelled_questions()
    tuning, held_out = evaluation.split(questions)
    unanswerable = sum(1 for q in questions if not q.answerable)
    print(
        f"\nAssistant: {len(questions)} labelled questions ({len(questions) - unanswerable} "
        f"answerable, {unanswerable} unanswerable); tuning half {len(tuning)}, held-out half "
        f"{len(held_out)} (content.is_held_out)",
        flush=True,
    )
    outcomes = {}
    for use_semantic in (False, True):
        started = time.perf_counter()
        outcomes[use_semantic] = evaluation.evaluate(questions, use_semantic=use_semantic)
        each = (time.perf_counter() - started) / len(questions) * 1000
        print(
            f"  evaluated {'with' if use_semantic else 'without'} meaning: {each:.0f} ms a "
            "question",
            flush=True,
        )
    quality_report(outcomes)
    section_weights_report(outcomes[True])


def section_weights_report(outcomes: list[Any]) -> None:
    """The weights of the section to quote in force beside their refit on the tuning halves
    (chatbot.evaluation.section_weights_fit), with how many labelled sections each picks."""
    from chatbot import evaluation, retrieval

    tuning = evaluation.section_examples(evaluation.tuning(outcomes))
    held = evaluation.section_examples(evaluation.held_out(outcomes))
    refit = evaluation.section_weights_fit(tuning)
    cross = evaluation.section_weights_cross_validated(tuning)

    def shown(weights: tuple[float, ...]) -> str:
        return ", ".join(f"{w:+.2f}" for w in weights)

    print(
        "\n  section to quote (questions the model reads whose first article is right): "
        f"{len(tuning)} in the tuning halves, {len(held)} held out",
        flush=True,
    )
    print(f"    features   {', '.join(retrieval.SECTION_FEATURES)}", flush=True)
    in_force = retrieval.SECTION_WEIGHTS
    print(
        f"    in force   {shown(in_force)}: tuning {evaluation.sections_picked(tuning, in_force)}"
        f", held out {evaluation.sections_picked(held, in_force)}",
        flush=True,
    )
    print(
        f"    refit      {shown(refit)}: tuning {evaluation.sections_picked(tuning, refit)} "
        f"({evaluation.SECTION_FIT_FOLDS}-fold cross-validated {cross}), held out "
        f"{evaluation.sections_picked(held, refit)}",
        flush=True,
    )


def quality_report(outcomes: dict[bool, list[Any]]) -> None:
    """The tables: per set and mode, then per language; bars tuned on the tuning half,
    figures read on the held-out half."""
    from django.conf import settings

    from chatbot import evaluation
    from chatbot.answers import Threshold

    in_force = Threshold.from_settings()
    for use_semantic, label in ((False, "lexical only"), (True, "lexical + semantic")):
        every = outcomes[use_semantic]
        tuned = evaluation.tune(evaluation.tuning(every), use_semantic=use_semantic)
        bars = (
            f"meaning {tuned.meaning:.3f}, words {tuned.words:.3f}"
            if use_semantic
            else f"words {tuned.words:.3f}"
        )
        print(f"\n  {label}: bars tuned on the tuning half: {bars}", flush=True)
        print(
            "    set    held-out  hit@1  hit@3  MRR    section@1 (n)   answered right  "
            "confident wrong  don't know  (of which suggestions)  confident on unanswerable  "
            "off-topic recognised",
            flush=True,
        )
        for name, grouped in evaluation.by_set(every).items():
            held = evaluation.held_out(grouped)
            if not held:
                continue
            quality = evaluation.quality(held)
            result = evaluation.decisions(held, tuned)
            print(
                f"    {name:6} {len(held):8}  {quality.hit_at_1:.3f}  {quality.hit_at_3:.3f}  "
                f"{quality.mrr:.3f}  {quality.section_hit_at_1:.3f} ({quality.section_count:3})"
                f"  {result.answerable_answered_rate:14.1%}  {result.answered_wrongly:15}  "
                f"{result.dont_know_rate:10.1%}  {result.suggested_on_answerable:22}  "
                f"{result.unanswerable_confident_rate:10.1%} "
                f"({result.confident_on_unanswerable}/{result.unanswerable}){'':9}"
                f"{result.off_topic_recognised}/{result.off_topic}",
                flush=True,
            )
    _quality_by_language(outcomes[True], in_force)
    current = (
        f"ASSISTANT_MIN_SUPPORT {settings.ASSISTANT_MIN_SUPPORT}, ASSISTANT_MIN_SUPPORT_WORDS "
        f"{settings.ASSISTANT_MIN_SUPPORT_WORDS}, ASSISTANT_SEMANTIC {settings.ASSISTANT_SEMANTIC}"
    )
    print(f"  settings in force: {current}", flush=True)


def _quality_by_language(outcomes: list[Any], threshold: Any) -> None:
    """Per language, on the held-out half, with the bars in settings: what a customer
    asking in that language gets (the search in their language, English as the fallback)."""
    from chatbot import evaluation

    print(
        "\n  per language, held-out half, bars in settings (words and meaning; meaning read "
        "across languages where the model does not read the question's):",
        flush=True,
    )
    print(
        "    set    lang  answerable  hit@1  hit@3  answered right  confident wrong  "
        "don't know  unanswerable  confident on them  language read right",
        flush=True,
    )
    for name, grouped_set in evaluation.by_set(outcomes).items():
        for language, grouped in evaluation.by_language(grouped_set).items():
            held = evaluation.held_out(grouped)
            if not held:
                continue
            quality = evaluation.quality(held)
            result = evaluation.decisions(held, threshold)
            detected = evaluation.detected_share([o.question for o in grouped])
            print(
                f"    {name:6} {language:4}  {quality.count:10}  {quality.hit_at_1:.3f}  "
                f"{quality.hit_at_3:.3f}  {result.answerable_answered_rate:14.1%}  "
                f"{result.answered_wrongly:15}  {result.dont_know_rate:10.1%}  "
                f"{result.unanswerable:12}  {result.unanswerable_confident_rate:10.1%} "
                f"({result.confident_on_unanswerable}/{result.unanswerable})  {detected:14.1%}",
                flush=True,
            )


def _pad() -> int:
    """Generated articles up to TARGET_ARTICLES, indexed like real ones."""
    from chatbot.models import Article, ArticleVersion, Passage
    from chatbot.services import article_version_index
    from routing.models import ProductArea

    real = Article.objects.count()
    missing = TARGET_ARTICLES - real
    if missing <= 0:
        return real
    rng = random.Random(SEED)
    sentences_by_area: dict[int | None, list[str]] = {}
    for area_id, text in Passage.objects.filter(language="en").values_list(
        "article__product_area_id", "plain_text"
    ):
        for sentence in text.replace("\n", " ").split(". "):
            if len(sentence.split()) >= 6:
                sentences_by_area.setdefault(area_id, []).append(sentence.strip(" .") + ".")
    areas = {area.pk: area for area in ProductArea.objects.all()}
    keys = sorted(sentences_by_area, key=lambda key: (key is None, key or 0))
    started = time.perf_counter()
    versions = []
    for n in range(missing):
        area_id = keys[n % len(keys)]
        pool = sentences_by_area[area_id]
        area_name = areas[area_id].name if area_id in areas else "Customer Success Hub"
        article = Article.objects.create(
            slug=f"bench-generated-{n:04d}", product_area_id=area_id, is_published=True
        )
        sections = []
        for s in range(PADDING_SECTIONS):
            body = " ".join(rng.sample(pool, min(PADDING_SENTENCES, len(pool))))
            sections.append(f"## {area_name} note {n}.{s}\n\n{body}")
        versions.append(
            ArticleVersion.objects.create(
                article=article,
                language="en",
                title=f"{area_name}: generated bench article {n}",
                summary=f"Generated for the benchmark from sentences of the {area_name} articles.",
                body=" ".join(rng.sample(pool, 2)) + "\n\n" + "\n\n".join(sections),
                keywords=[],
                updated=date(2026, 11, 1),
            )
        )
    for version in versions:
        article_version_index(version_id=version.pk)
    harness.report(
        f"padded with {missing} generated articles in {time.perf_counter() - started:.1f} s"
    )
    return Article.objects.count()


def _latency(articles: int) -> None:
    from django.db import connection

    from chatbot import answers, content, retrieval

    questions = list(content.labelled_questions())
    rng = random.Random(SEED)
    asked = [rng.choice(questions) for _ in range(LATENCY_QUESTIONS)]
    passages = retrieval.Passage.objects.count()
    for use_semantic, label in ((False, "lexical only"), (True, "lexical + semantic")):
        retrieval.forget_snapshot()
        # The first question after a change loads this process's view of the knowledge base.
        started = time.perf_counter()
        retrieval.search(asked[0].question, use_semantic=use_semantic)
        warm = (time.perf_counter() - started) * 1000
        times = []
        for question in asked:
            started = time.perf_counter()
            answers.answer_question(
                question.question,
                language=question.language,
                threshold=answers.Threshold.from_settings(),
                use_semantic=use_semantic,
            )
            times.append((time.perf_counter() - started) * 1000)
        print(
            f"  time to answer, {label}, {articles} articles ({passages} passages) on "
            f"{connection.vendor}: p50 {statistics.median(times):.1f} ms, p95 "
            f"{_percentile(times, 0.95):.1f} ms, max {max(times):.1f} ms "
            f"({len(times)} questions; first question after a change {warm:.0f} ms)",
            flush=True,
        )


def main() -> None:
    config = harness.BenchConfig.from_environment()
    os.environ.setdefault(
        "ASSISTANT_EMBEDDING_CACHE", str(Path(harness.BASE_DIR) / "var" / "embedding-cache")
    )
    harness.django_configure(config)
    harness.report(f"assistant: PostgreSQL database {config.database}")
    harness.redis_empty(config)
    harness.database_recreate(config)
    _prepare()
    _quality()
    if os.environ.get("BENCH_ASSISTANT_TIMING", "on").strip().lower() in {"off", "0", "no"}:
        # While tuning the rule, the quality tables are what is read: the padding and the
        # timing take most of the run.
        harness.report("BENCH_ASSISTANT_TIMING=off: padding and time to answer skipped")
        return
    articles = _pad()
    _latency(articles)


if __name__ == "__main__":
    main()
