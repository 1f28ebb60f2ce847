"""The knowledge base's domain: search terms in Chinese and English, article rules, who
reads and writes what, an inquiry answered by an article, and the deflection rate."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.intake.domain.creation import NewTicket, open_ticket
from services.intake.domain.errors import Forbidden, IllegalTransition, InvalidInput
from services.intake.domain.knowledge import (
    ANSWERED_BY_ARTICLE,
    Article,
    KnowledgeStats,
    answer_inquiry,
    check_article,
    check_may_edit,
    check_query,
    may_read,
    reading_site,
    stats_site,
    title_for,
)
from services.intake.domain.model import Actor, Kind, Location, Role, Status, Ticket
from services.intake.domain.search_text import document_terms, query_terms

NOW = datetime(2031, 5, 1, 9, 0, tzinfo=UTC)
TENANT = Actor("tenant1", Role.TENANT, "demo")
ADMIN = Actor("admin", Role.ADMIN)
SUPERVISOR = Actor("supervisor1", Role.SUPERVISOR, "demo")
DISPATCHER = Actor("dispatcher1", Role.DISPATCHER, "demo")
TECH = Actor("tech1", Role.TECHNICIAN, "demo")
FEE = Article(
    "fee-payment", "物业费的缴纳方式", "在 App 缴费。", "Paying the fee", "Pay in the app."
)


# --- search terms ---------------------------------------------------------------------


def test_chinese_becomes_character_pairs_without_function_words() -> None:
    terms = query_terms("请问物业费怎么交？")
    assert terms.chinese == ("物业", "业费")
    assert terms.characters == ("物", "业", "费", "交")
    assert terms.words == ()


def test_a_document_is_indexed_under_pairs_and_characters() -> None:
    terms = document_terms("物业费")
    assert set(terms.chinese) == {"物业", "业费", "物", "业", "费"}


def test_english_words_are_lower_cased_and_mixed_text_is_split() -> None:
    terms = query_terms("How do I pay the APP 物业费 2.8元")
    assert terms.words == ("how", "do", "i", "pay", "the", "app", "2", "8")
    assert terms.chinese == ("物业", "业费")


def test_full_width_letters_are_folded() -> None:
    assert query_terms("ＡＰＰ").words == ("app",)


def test_a_question_of_only_function_words_or_punctuation_has_no_terms() -> None:
    assert not query_terms("怎么？吗")
    assert not query_terms("!!! ???")


@given(st.text(max_size=300))
def test_terms_are_safe_lexemes_for_any_text(text: str) -> None:
    terms = query_terms(text)
    for term in (*terms.words, *terms.chinese, *terms.characters):
        assert term and term.isalnum() and "'" not in term and "\\" not in term


# --- articles ---------------------------------------------------------------------------


def test_an_article_with_english_text_is_bilingual_by_default() -> None:
    checked = check_article(
        replace(FEE, title="  物业费的缴纳方式 ", tags=("Fee", "fee", " 缴费 "))
    )
    assert checked.locale == "both"
    assert checked.title == "物业费的缴纳方式"
    assert checked.tags == ("fee", "缴费")
    assert check_article(Article("zh-only", "标题", "正文")).locale == "zh-CN"


@pytest.mark.parametrize(
    ("article", "needle"),
    [
        (replace(FEE, id="Fee Payment"), "article_id"),
        (replace(FEE, locale="fr"), "locale"),
        (replace(FEE, title=""), "title"),
        (replace(FEE, body="a\x00b"), "control"),
        (replace(FEE, title_en="", locale="both"), "title_en"),
        (replace(FEE, locale="zh-CN"), "title_en and body_en"),
        (replace(FEE, category="gardening"), "category"),
        (replace(FEE, tags=("two words",)), "tags"),
        (replace(FEE, tags=tuple(f"t{i}" for i in range(21))), "tags"),
        (replace(FEE, body="x" * 20_001), "limit"),
    ],
)
def test_bad_articles_are_refused_with_the_reason(article: Article, needle: str) -> None:
    with pytest.raises(InvalidInput, match=needle):
        check_article(article)


def test_admins_write_anywhere_supervisors_at_their_site_others_not() -> None:
    check_may_edit(ADMIN, "")
    check_may_edit(ADMIN, "other")
    check_may_edit(SUPERVISOR, "demo")
    for actor, site in ((SUPERVISOR, ""), (SUPERVISOR, "other"), (DISPATCHER, "demo"),
                        (TENANT, "demo"), (TECH, "demo")):  # fmt: skip
        with pytest.raises(Forbidden):
            check_may_edit(actor, site)


def test_tenants_read_published_articles_of_their_site_staff_drafts_too() -> None:
    draft = replace(FEE, site="demo")
    published = replace(draft, published=True)
    elsewhere = replace(published, site="other")
    everywhere = replace(published, site="")
    assert may_read(TENANT, published) and may_read(TENANT, everywhere)
    assert not may_read(TENANT, draft) and not may_read(TENANT, elsewhere)
    assert may_read(TECH, draft) and not may_read(TECH, elsewhere)
    assert may_read(ADMIN, elsewhere)


def test_reading_and_counting_are_scoped_to_the_callers_site() -> None:
    assert reading_site(TENANT, "") == "demo"
    assert reading_site(ADMIN, "") is None and reading_site(ADMIN, "x") == "x"
    with pytest.raises(Forbidden):
        reading_site(TENANT, "other")
    assert stats_site(SUPERVISOR, "") == "demo" and stats_site(ADMIN, "") == ""
    for actor in (TENANT, TECH):
        with pytest.raises(Forbidden):
            stats_site(actor, "")
    with pytest.raises(Forbidden):
        stats_site(DISPATCHER, "other")


def test_the_title_follows_the_questions_language() -> None:
    assert title_for(FEE, query_terms("how do I pay")) == "Paying the fee"
    assert title_for(FEE, query_terms("物业费")) == "物业费的缴纳方式"
    assert title_for(replace(FEE, title_en=""), query_terms("how")) == "物业费的缴纳方式"


@given(st.text(max_size=600))
def test_a_question_is_accepted_or_refused_with_invalid_input(text: str) -> None:
    try:
        checked = check_query(text)
    except InvalidInput:
        assert not text.strip() or len(text.strip()) > 500 or any(ord(c) < 32 for c in text)
    else:
        assert checked == text.strip() and "\x00" not in checked and 0 < len(checked) <= 500


# --- an inquiry answered by an article ---------------------------------------------------------


def _inquiry(kind: Kind = Kind.INQUIRY) -> Ticket:
    request = NewTicket(kind, "fees", "物业费怎么交", "", Location("demo", "A", "3", "A-301"))
    return open_ticket(request, TENANT, "t-1", NOW)


def test_the_asker_closes_their_inquiry_as_answered() -> None:
    ticket = _inquiry()
    events = answer_inquiry(ticket, TENANT, "fee-payment", NOW)
    assert ticket.status is Status.CANCELLED
    assert [e.type for e in events] == ["cancelled"]
    assert events[0].payload == {"reason": ANSWERED_BY_ARTICLE, "article_id": "fee-payment"}


def test_only_the_asker_and_only_an_open_inquiry() -> None:
    with pytest.raises(InvalidInput, match="not an inquiry"):
        answer_inquiry(_inquiry(Kind.REPAIR), TENANT, "fee-payment", NOW)
    with pytest.raises(Forbidden):
        answer_inquiry(_inquiry(), Actor("tenant2", Role.TENANT, "demo"), "fee-payment", NOW)
    with pytest.raises(Forbidden):
        answer_inquiry(_inquiry(), SUPERVISOR, "fee-payment", NOW)
    taken = _inquiry()
    taken.status = Status.ASSIGNED
    with pytest.raises(IllegalTransition):
        answer_inquiry(taken, TENANT, "fee-payment", NOW)


def test_the_deflection_rate_is_answered_over_all_questions() -> None:
    assert KnowledgeStats(NOW, NOW, 3, 1, 4).deflection_rate == 0.5
    assert KnowledgeStats(NOW, NOW, 0, 0, 0).deflection_rate == 0.0
