"""The fit behind retrieval.SECTION_WEIGHTS (chatbot.evaluation): given questions whose
labelled section a hidden rule picks, it finds weights that pick them too, and the count it
reports is the count of sections it picks."""

from __future__ import annotations

import numpy as np
import pytest

from chatbot import evaluation, retrieval


def _examples(hidden: np.ndarray, count: int, seed: int) -> list[evaluation.SectionExample]:
    rng = np.random.default_rng(seed)
    examples = []
    for _ in range(count):
        sections = int(rng.integers(2, 8))
        features = rng.random((sections, len(hidden)))
        right = np.zeros(sections, dtype=bool)
        right[int(np.argmax(features @ hidden))] = True
        examples.append(evaluation.SectionExample(features=features, right=right))
    return examples


def test_the_fit_learns_a_rule_that_picks_the_labelled_sections() -> None:
    hidden = np.array([0.5, 2.0, 1.0, 1.5, 1.5, 1.0, -1.0, -0.5, -0.5])
    assert len(hidden) == len(retrieval.SECTION_FEATURES)
    training, unseen = _examples(hidden, 300, seed=1), _examples(hidden, 200, seed=2)
    fitted = evaluation.section_weights_fit(training)
    assert len(fitted) == len(retrieval.SECTION_FEATURES)
    assert evaluation.sections_picked(unseen, fitted) >= 0.85 * len(unseen)
    # Weights that know nothing pick the first section: about one in four here.
    assert evaluation.sections_picked(unseen, (0.0,) * len(hidden)) < 0.4 * len(unseen)
    assert evaluation.section_weights_cross_validated(training) >= 0.8 * len(training)


def test_a_question_whose_labelled_section_was_not_found_counts_as_missed() -> None:
    found = np.array([[1.0] + [0.0] * 8, [0.0] * 9])
    missed = evaluation.SectionExample(features=found, right=np.array([False, False]))
    hit = evaluation.SectionExample(features=found, right=np.array([True, False]))
    weights = (1.0,) + (0.0,) * 8
    assert evaluation.sections_picked([missed, hit], weights) == 1
    # The fit learns from the questions it can: the missed one changes nothing.
    assert evaluation.section_weights_fit([missed, hit]) == pytest.approx(
        evaluation.section_weights_fit([hit])
    )
