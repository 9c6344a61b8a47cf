"""Where each question sits on the page: a follow-up right after the question that opens it."""

from types import SimpleNamespace

from surveys.survey_page import display_order


def q(key, opener=""):
    return SimpleNamespace(key=key, condition_key=opener)


def keys(questions):
    return [question.key for question in display_order(questions)]


def test_a_follow_up_ordered_last_comes_right_after_its_opener():
    assert keys([q("nps"), q("csat"), q("ces"), q("why", "nps")]) == ["nps", "why", "csat", "ces"]


def test_followers_keep_their_own_order_and_a_chain_stays_together():
    questions = [q("nps"), q("csat"), q("why", "nps"), q("more", "why"), q("how", "nps"), q("comment")]

    assert keys(questions) == ["nps", "why", "more", "how", "csat", "comment"]


def test_a_condition_on_a_later_or_unknown_question_keeps_its_place():
    # Such a question is never shown (only an earlier question opens one); it does not move.
    questions = [q("early", "late"), q("nps"), q("ghost", "nobody"), q("late")]

    assert keys(questions) == ["early", "nps", "ghost", "late"]


def test_nothing_conditional_changes_nothing():
    questions = [q(key) for key in ("a", "b", "c")]

    assert keys(questions) == ["a", "b", "c"]
