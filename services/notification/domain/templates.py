"""Message templates per kind and locale (zh-CN and en), chosen by the recipient's language.

Templates use `str.format` fields: `{number}`, `{title}`, `{assignee}`, `{stars}`,
`{level}` and `{target}` (the SLA target, "respond" or "resolve", in the recipient's
words). A field the event does not supply renders as a neutral word, never as a brace.
"""

from __future__ import annotations

from collections.abc import Mapping

from services.notification.domain.model import MessageKind, Rendered

__all__ = ["DEFAULT_LOCALE", "LOCALES", "TEMPLATES", "match_locale", "normalize_locale", "render"]

K = MessageKind
LOCALES: tuple[str, ...] = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"

_ZH: dict[MessageKind, tuple[str, str]] = {
    K.RECEIVED: ("已收到您的工单 {number}", "您提交的“{title}”（{number}）已收到，我们会尽快受理。"),
    K.ACCEPTED: ("工单 {number} 已受理", "您的工单“{title}”已受理，正在安排维修人员。"),
    K.DISPATCHED: ("工单 {number} 已派单", "您的工单“{title}”已派给维修人员 {assignee}。"),
    K.ON_THE_WAY: ("维修人员已出发：{number}", "维修人员正在前往处理您的工单“{title}”，请保持电话畅通。"),
    K.RESOLVED: ("工单 {number} 已解决", "您的工单“{title}”已处理完成，如有问题请及时反馈。"),
    K.PLEASE_RATE: ("请评价工单 {number}", "您的工单“{title}”已完成，请为本次服务评分（1-5 星）。"),
    K.CLOSED: ("工单 {number} 已归档", "您的工单“{title}”已关闭归档，感谢您的支持。"),
    K.REOPENED: ("工单 {number} 已重新打开", "您的工单“{title}”已重新打开，我们会继续处理。"),
    K.CANCELLED: ("工单 {number} 已取消", "您的工单“{title}”已取消。"),
    K.ASSIGNED_TO_YOU: ("新派单：{number}", "工单 {number}“{title}”已派给您，请及时处理。"),
    K.REASSIGNED_AWAY: ("工单 {number} 已改派", "工单 {number}“{title}”已改派给 {assignee}，您无需再处理。"),
    K.REOPENED_TO_YOU: ("工单 {number} 被重新打开", "工单 {number}“{title}”已重新打开，请继续处理。"),
    K.WORK_CANCELLED: ("工单 {number} 已取消", "派给您的工单 {number}“{title}”已取消，无需继续处理。"),
    K.RATED: ("工单 {number} 获得 {stars} 星评价", "租户对工单“{title}”的服务评分为 {stars} 星（满分 5 星）。"),
    K.SLA_REMINDER: ("提醒：工单 {number} 即将超时", "工单 {number}“{title}”即将超过{target}时限（级别 {level}），请尽快处理。"),
    K.SLA_ESCALATED: ("升级：工单 {number}", "工单 {number}“{title}”未在{target}时限内完成，已升级给您（级别 {level}）。"),
    K.SLA_BREACHED: ("超时：工单 {number}", "工单 {number}“{title}”已超过{target}时限（级别 {level}）。"),
    K.CLAIM_OFFERED: ("可抢单：{number}", "工单 {number}“{title}”开放抢单，先抢先得。"),
    K.DISPATCH_PAGED: ("紧急：工单 {number}", "紧急工单 {number}“{title}”需要立即处理。"),
}  # fmt: skip

_EN: dict[MessageKind, tuple[str, str]] = {
    K.RECEIVED: ("Request {number} received", "We have received your request “{title}” ({number}) and will confirm it shortly."),
    K.ACCEPTED: ("Request {number} accepted", "Your request “{title}” has been accepted; a technician is being arranged."),
    K.DISPATCHED: ("Technician assigned to {number}", "Your request “{title}” has been assigned to technician {assignee}."),
    K.ON_THE_WAY: ("Technician on the way: {number}", "A technician is on the way to handle your request “{title}”."),
    K.RESOLVED: ("Request {number} resolved", "Your request “{title}” has been resolved. Tell us if anything is still wrong."),
    K.PLEASE_RATE: ("Please rate {number}", "Your request “{title}” is done. Please rate the service from 1 to 5 stars."),
    K.CLOSED: ("Request {number} closed", "Your request “{title}” has been closed. Thank you."),
    K.REOPENED: ("Request {number} reopened", "Your request “{title}” has been reopened and is being worked on again."),
    K.CANCELLED: ("Request {number} cancelled", "Your request “{title}” has been cancelled."),
    K.ASSIGNED_TO_YOU: ("New assignment: {number}", "Ticket {number} “{title}” has been assigned to you."),
    K.REASSIGNED_AWAY: ("Ticket {number} reassigned", "Ticket {number} “{title}” has been reassigned to {assignee}; you no longer need to handle it."),
    K.REOPENED_TO_YOU: ("Ticket {number} reopened", "Ticket {number} “{title}” was reopened and is back with you."),
    K.WORK_CANCELLED: ("Ticket {number} cancelled", "Ticket {number} “{title}” assigned to you has been cancelled; no further work is needed."),
    K.RATED: ("Ticket {number} rated {stars} stars", "The tenant rated your work on “{title}” {stars} out of 5 stars."),
    K.SLA_REMINDER: ("Reminder: {number} is nearly due", "Ticket {number} “{title}” is close to its {target} deadline (level {level}); please act now."),
    K.SLA_ESCALATED: ("Escalated: {number}", "Ticket {number} “{title}” missed its {target} target and is escalated to you (level {level})."),
    K.SLA_BREACHED: ("SLA breached: {number}", "Ticket {number} “{title}” has breached its {target} target (level {level})."),
    K.CLAIM_OFFERED: ("Open to claim: {number}", "Ticket {number} “{title}” is open to claim; the first technician to claim it gets it."),
    K.DISPATCH_PAGED: ("Urgent: {number}", "Emergency ticket {number} “{title}” needs immediate attention."),
}  # fmt: skip

#: Locale -> kind -> (title template, body template).
TEMPLATES: dict[str, dict[MessageKind, tuple[str, str]]] = {"zh-CN": _ZH, "en": _EN}

#: Words for fields the event may not supply, per locale.
_FALLBACK: dict[str, dict[str, str]] = {
    "zh-CN": {"assignee": "维修人员", "level": "1", "target": "处理", "stars": "?", "title": "（无标题）"},
    "en": {"assignee": "a technician", "level": "1", "target": "service", "stars": "?", "title": "(untitled)"},
}  # fmt: skip

#: SLA targets in each locale's words.
_TARGETS: dict[str, dict[str, str]] = {
    "zh-CN": {"respond": "响应", "resolve": "解决"},
    "en": {"respond": "response", "resolve": "resolution"},
}

_MAX_FIELD = 200


def match_locale(locale: str) -> str | None:
    """The supported locale for a language tag: any Chinese tag (zh, zh_CN, zh-Hans-CN) is
    zh-CN, any English tag is en; None for anything else."""
    tag = locale.strip().replace("_", "-").lower()
    if tag == "zh" or tag.startswith("zh-"):
        return "zh-CN"
    if tag == "en" or tag.startswith("en-"):
        return "en"
    return None


def normalize_locale(locale: str, default: str = DEFAULT_LOCALE) -> str:
    """`match_locale(locale)`, else `default` (itself matched), else DEFAULT_LOCALE."""
    return match_locale(locale) or match_locale(default) or DEFAULT_LOCALE


class _Fields(dict[str, str]):
    """Format fields where a missing one becomes its locale's neutral word."""

    def __init__(self, values: Mapping[str, str], fallback: Mapping[str, str]) -> None:
        super().__init__({k: v for k, v in values.items() if v})
        self._fallback = fallback

    def __missing__(self, key: str) -> str:
        return self._fallback.get(key, "")


def render(kind: MessageKind, locale: str, fields: Mapping[str, str]) -> Rendered:
    """The message `kind` in `locale` (normalised) with `fields` filled in."""
    lang = normalize_locale(locale)
    title_t, body_t = TEMPLATES[lang][kind]
    values = {key: str(value)[:_MAX_FIELD] for key, value in fields.items()}
    if "target" in values:
        values["target"] = _TARGETS[lang].get(values["target"], "")
    filled = _Fields(values, _FALLBACK[lang])
    return Rendered(title=title_t.format_map(filled), body=body_t.format_map(filled))
