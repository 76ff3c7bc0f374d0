"""What the gateway itself says to a customer, in their language."""

from __future__ import annotations

NOTICES: dict[str, dict[str, str]] = {
    "rate_limited": {
        "zh": "您发得有点快，请稍等一分钟再发。刚才那条没有发出，已放回输入框。",
        "en": "You're sending messages a little fast. Please wait a minute; that message wasn't sent "
        "and is back in the box.",
    },
    "too_long": {
        "zh": "这条消息太长了（最多 {max_chars} 字），请分成几条发送。",
        "en": "That message is too long (at most {max_chars} characters). Please send it in parts.",
    },
    "empty": {
        "zh": "消息是空的，请输入内容后再发送。",
        "en": "That message was empty. Please type something first.",
    },
    "unavailable": {
        "zh": "抱歉，助手暂时没有回应。您的消息已保存，恢复后会自动发送。",
        "en": "Sorry, the assistant isn't answering right now. Your message is saved and will be sent "
        "as soon as it is back.",
    },
    "busy": {
        "zh": "抱歉，系统刚才有点忙，这条消息没能处理完。您之前提供的信息都已保存，请过一会儿再发一次，"
        "我们接着处理。",
        "en": "Sorry, the system was busy and couldn't finish with that message. Everything you've told "
        "me so far is saved; please send it again in a moment and we'll carry on.",
    },
    "qr_unknown": {
        "zh": "这个二维码无法识别，可能不完整或已被更换。没关系，直接告诉我发生了什么就行。",
        "en": "I don't recognise this QR code; it may be damaged or replaced. No problem: "
        "just tell me what happened.",
    },
    "qr_revoked": {
        "zh": "这个二维码已停用（商户已更换新码）。没关系，直接告诉我发生了什么就行。",
        "en": "This QR code is no longer in use (the shop has replaced it). No problem: "
        "just tell me what happened.",
    },
    "qr_expired": {
        "zh": "这个二维码已过期。没关系，直接告诉我付款的时间、金额和终端号，我来帮您查。",
        "en": "This QR code has expired. No problem: tell me when you paid, how much, and the "
        "terminal ID, and I'll look it up.",
    },
    "qr_rate_limited": {
        "zh": "扫码次数太多了，请稍后再试；也可以直接告诉我发生了什么。",
        "en": "Too many codes scanned from here; please try again later, or just tell me what happened.",
    },
    "bad_request": {
        "zh": "抱歉，这条消息无法识别，请用文字重新发送。",
        "en": "Sorry, I couldn't read that message. Please send it again as text.",
    },
}


def notice(code: str, language: str, **values: object) -> str:
    """The notice `code` in `language` (Chinese when the language is unknown)."""
    texts = NOTICES[code]
    return texts.get(language, texts["zh"]).format(**values)
