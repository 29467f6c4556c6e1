"""The platform's mails, in English and Chinese, as (subject, plain text, HTML).

The language comes from a BCP 47 locale: any `zh` tag (`zh-CN`, `zh-Hans-TW`) gives Chinese,
anything else English.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

LANGUAGES = ("en", "zh")


@dataclass(frozen=True, slots=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def language_of(locale: str | None) -> str:
    """"zh" for a Chinese locale, else "en"."""
    primary = (locale or "").replace("_", "-").split("-", 1)[0].lower()
    return "zh" if primary == "zh" else "en"


_INVITATION = {
    "en": ("You are invited to {organization} on AI Platform",
           "{inviter} invited you to join {organization} as {role}.",
           "Accept the invitation",
           "This link works once and expires in {days} days. If you did not expect it, ignore "
           "this mail."),
    "zh": ("邀请您加入 AI Platform 上的 {organization}",
           "{inviter} 邀请您以 {role} 身份加入 {organization}。",
           "接受邀请",
           "此链接只能使用一次，{days} 天后失效。如果这不是您预期的邮件，请忽略。"),
}

_PASSWORD_RESET = {
    "en": ("Reset your AI Platform password",
           "Someone asked to reset the password of the account {email}.",
           "Choose a new password",
           "This link works once and expires in {minutes} minutes. If it was not you, ignore "
           "this mail: your password stays as it is."),
    "zh": ("重置您的 AI Platform 密码",
           "有人请求重置账户 {email} 的密码。",
           "设置新密码",
           "此链接只能使用一次，{minutes} 分钟后失效。如果不是您本人操作，请忽略此邮件，"
           "您的密码不会改变。"),
}

_MODEL_ALERT = {
    "en": ("Alert: {metric} of {model} is {direction} {threshold}",
           "In the minute from {minute}, {metric} of the model {model} was {value}, "
           "{direction} your threshold of {threshold}.",
           "Open the model",
           "You receive this because you own the model. You are told once per crossing, "
           "again only after a minute back within the threshold."),
    "zh": ("告警：{model} 的 {metric} {direction} {threshold}",
           "在 {minute} 开始的一分钟内，模型 {model} 的 {metric} 为 {value}，{direction}"
           "您设置的阈值 {threshold}。",
           "查看模型",
           "您收到此邮件是因为您是该模型的负责人。每次越过阈值只通知一次，"
           "回到阈值以内之后才会再次通知。"),
}
_DIRECTIONS = {"zh": {"above": "高于", "below": "低于"}}

_ROLES = {
    "zh": {"owner": "所有者", "admin": "管理员", "member": "成员", "viewer": "访客"},
}


def invitation(language: str, *, organization: str, inviter: str, role: str, link: str,
               days: int) -> RenderedMail:
    role_name = _ROLES.get(language, {}).get(role, role)
    return _render(_INVITATION[language], link, organization=organization, inviter=inviter,
                   role=role_name, days=days)


def password_reset(language: str, *, email: str, link: str, minutes: int) -> RenderedMail:
    return _render(_PASSWORD_RESET[language], link, email=email, minutes=minutes)


def model_alert(language: str, *, model: str, metric: str, direction: str, threshold: float,
                value: float, minute: str, link: str) -> RenderedMail:
    """A model's metric crossed an alert threshold (services/performance_alerts.py)."""
    return _render(_MODEL_ALERT[language], link, model=model, metric=metric,
                   direction=_DIRECTIONS.get(language, {}).get(direction, direction),
                   threshold=f"{threshold:g}", value=f"{value:g}", minute=minute)


def _render(parts: tuple[str, str, str, str], link: str, **values: object) -> RenderedMail:
    subject, lead, action, note = (p.format(**values) for p in parts)
    safe = {k: escape(str(v)) for k, v in values.items()}
    html_lead, html_note = parts[1].format(**safe), parts[3].format(**safe)
    text = f"{lead}\n\n{action}:\n{link}\n\n{note}\n"
    html = (f"<!doctype html><html><body><p>{html_lead}</p>"
            f'<p><a href="{escape(link)}">{escape(action)}</a></p>'
            f"<p>{escape(link)}</p><p><small>{html_note}</small></p></body></html>")
    return RenderedMail(subject, text, html)
