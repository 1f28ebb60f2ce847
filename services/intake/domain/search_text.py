"""Text as search terms, for Chinese and English alike.

Chinese has no spaces, so a run of Chinese characters becomes its overlapping character
pairs (物业费 → 物业, 业费), the way Lucene's CJK analyser indexes it: a question shares
pairs with the article that answers it whatever words it is cut into. A document also
indexes each character, for a one-character piece of a question (交, 狗). Latin words are
kept whole, lower-cased; the database's 'english' configuration stems them and drops its
stop words. Common Chinese function words (怎么, 如何, 请问, 的) are dropped here first.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Terms", "document_terms", "query_terms"]

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_PIECES = re.compile(f"[{_CJK}]+|[a-z0-9]+")
#: Question words and particles that say nothing about the subject, longest first.
# fmt: off
_ZH_STOP = sorted(
    {
        "怎么样", "怎么办", "为什么", "是不是", "有没有", "可不可以", "能不能",
        "怎么", "怎样", "如何", "什么", "哪里", "哪儿", "哪些", "多少", "几点", "请问",
        "可以", "能否", "是否", "一下", "我们", "我家", "我的", "你们", "需要", "应该",
        "吗", "呢", "吧", "啊", "呀", "的", "了", "我", "你", "他", "她", "在", "是", "与", "或",
    },
    key=len,
    reverse=True,
)
# fmt: on
_ZH_STOP_RE = re.compile("|".join(map(re.escape, _ZH_STOP)))


@dataclass(frozen=True, slots=True)
class Terms:
    """Search terms of a text: Latin words (for 'english'), Chinese terms (for 'simple')
    and, in a question, its single Chinese characters, which count for less."""

    words: tuple[str, ...] = ()
    chinese: tuple[str, ...] = ()
    characters: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.words or self.chinese or self.characters)


def _split(text: str) -> tuple[list[str], list[str]]:
    """Latin words, and the Chinese runs with the function words cut out."""
    words: list[str] = []
    runs: list[str] = []
    for piece in _PIECES.findall(unicodedata.normalize("NFKC", text).lower()):
        if piece[0].isascii():
            words.append(piece)
        else:
            runs.extend(run for run in _ZH_STOP_RE.split(piece) if run)
    return words, runs


def _pairs(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def document_terms(text: str) -> Terms:
    """What a document is indexed under: its words, its character pairs and characters."""
    words, runs = _split(text)
    return Terms(tuple(words), tuple(t for run in runs for t in (*_pairs(run), *run)))


def query_terms(text: str) -> Terms:
    """What a question looks for: its words, the character pairs of each Chinese run and,
    as weaker evidence, its characters (维修 answers 找人修 through 修 alone)."""
    words, runs = _split(text)
    pairs = tuple(p for run in runs for p in _pairs(run))
    return Terms(tuple(words), pairs, tuple(dict.fromkeys(c for run in runs for c in run)))
