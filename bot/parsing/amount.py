"""Amount (yuan) extraction from Chinese or English free text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from bot.parsing.duckling_calls import duckling_parse, parse_budget
from bot.parsing.normalize import has_correction_marker, is_negated, mask, normalize
from bot.parsing.numerals import chinese_numeral

# Chat messages are short; the cap bounds regex work on pasted junk.
MAX_CHARS = 1000
# The most time Duckling may take reading number words in one message.
DUCKLING_SECONDS = 0.3

_CENT = Decimal("0.01")
# Anything this large is an ID or garbage, not what a card payment took.
_MAX_AMOUNT = Decimal("1e10")

_CN = "零〇一二两三四五六七八九十百千万亿"
_CN_DIGIT = "零〇一二两三四五六七八九"
_NUM = (
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+,\d{2}(?![\d,])|\d+(?:\.\d+|点\d{1,2}(?!\d))?)"
    r"\s*(?P<mult>[千万kK](?![a-z]))?"
)
_CN_NUM = rf"(?P<cn>[{_CN}][{_CN}点]*)"
_UNIT_ZH = r"元(?![旦宵素月])|块钱|块(?![儿去走吃玩来地])|圆|人民币"
_UNIT_EN = r"(?<![a-z])(?:yuan|rmb|cny|kuai|bucks)(?![a-z])"
_SUB = (
    rf"零?(?P<sub>\d{{1,2}}|[{_CN_DIGIT}])\s*(?P<subu>角|毛|分(?!钟)|cents?|fen|jiao|mao)?"
    rf"(?:\s*(?P<fen>\d|[{_CN_DIGIT}])\s*分(?!钟))?"
)
# A trailing "5" in "128块5" is jiao, but not when it starts a time, a count
# or another number.
_SUB_END = (
    r"(?![\d:]|[.,]\d)(?!\s*(?:[ap]\.?m(?![a-z])|h(?:ours?|rs?)?(?![a-z])|mins?(?![a-z])|o'?clock"
    r"|点|时|号|日|月|小时|分钟|个|次|天|周|年))"
)

_PREFIXED = re.compile(
    rf"(?P<sign>-\s*)?(?:¥|(?<![a-z])(?:rmb|cny)(?![a-z])|人民币)\s*(?P<sign2>-\s*)?{_NUM}"
    rf"(?:\s*(?:{_UNIT_ZH}|{_UNIT_EN}))?",
    re.IGNORECASE,
)
_SUFFIXED = re.compile(
    rf"(?<![\d.点])(?<!\d,)(?P<sign>-\s*)?{_NUM}\s*(?P<unit>{_UNIT_ZH}|{_UNIT_EN})"
    rf"(?P<gap>\s*)(?:{_SUB}{_SUB_END})?",
    re.IGNORECASE,
)
_CN_SUFFIXED = re.compile(
    rf"(?<![{_CN}点\d几多]){_CN_NUM}\s*(?P<unit>{_UNIT_ZH})(?P<gap>)(?:{_SUB}{_SUB_END})?",
    re.IGNORECASE,
)
_JIAO_ONLY = re.compile(
    rf"(?<![\d.{_CN}点])(?P<jiao>\d|[{_CN_DIGIT}])\s*(?:毛|角)钱?"
    rf"(?:(?P<fen>\d|[{_CN_DIGIT}])分?)?(?![\d])",
)
_BARE_NUMBER = re.compile(
    rf"(?<![a-z0-9.¥])(?<!\d,)(?P<sign>-)?{_NUM}(?:s(?![a-z0-9]))?(?![a-z0-9])"
    # A Chinese numeral inside a word ("十里堡", "三里屯") is no amount.
    rf"|(?<![{_CN}点])(?=[{_CN_DIGIT}十]){_CN_NUM}(?![分多几])(?!(?<=十)[\u4e00-\u9fff])",
    re.IGNORECASE,
)

# Numbers that are something else: labelled IDs, times, dates, durations,
# counts, tickets, cards and phones.
_ID_LABEL = (
    r"(?:尾号|末四位|后四位|末尾|卡号|银行卡号|参考号|检索参考号|检索号|凭证号|流水号|交易号|订单号"
    r"|单号|批次号|授权码|授权号|商户号|商户编号|工单号|终端号|终端编号|终端|手机号|手机|电话|编号"
    r"|(?<![a-z])(?:tid|terminal(?:\s*(?:id|no\.?|number))?|merchant(?:\s*(?:id|no\.?|number))?"
    r"|mid|ref(?:erence)?(?:\s*(?:no\.?|number|#))?|rrn|auth(?:orization)?\s*code"
    r"|order(?:\s*(?:id|no\.?|number))?|ticket(?:\s*(?:id|no\.?|number))?"
    r"|card(?:\s*(?:number|no\.?))?(?:\s*ending(?:\s*(?:in|with))?)?|ending\s*(?:in|with)?"
    r"|last\s*(?:4|four)(?:\s*(?:digits?|numbers?))?|phone(?:\s*(?:number|no\.?))?)(?![a-z]))"
)
_NOT_AMOUNT = re.compile(
    "|".join(
        [
            rf"{_ID_LABEL}\s*(?:[:#=]|是|为|is|are|was)?\s*[a-z0-9]*\d[a-z0-9]*"
            rf"(?:[ \-](?!\d+(?:\.\d+)?\s*(?:{_UNIT_ZH}|{_UNIT_EN}|毛|角))[a-z0-9]*\d[a-z0-9]*)*",
            # Clock times, unless the 点 is a decimal point before a money unit.
            r"\d{1,2}\s*:\s*\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?",
            r"\d{1,2}(?:\.\d{2})?\s*[ap]\.?\s?m\.?(?![a-z])",
            r"(?<!\d)(?:[01]?\d|2[0-4])\s*(?:点钟|点|时(?![间候]))(?:半|[一三]刻|\d{1,2}(?!\d)\s*分?)?"
            rf"(?!\s*(?:{_UNIT_ZH}|{_UNIT_EN}|毛|角))(?!\d(?!\d)\s*(?:{_UNIT_ZH}|毛|角))",
            rf"(?<![{_CN}])[{_CN_DIGIT}十]{{1,3}}(?:点钟|点)(?:半|[一三]刻|[{_CN_DIGIT}十]{{1,3}}分?)?"
            rf"(?![{_CN_DIGIT}十]*\s*(?:{_UNIT_ZH}|毛|角))",
            r"(?<![a-z])(?:at|by)\s+(?:[01]?\d|2[0-4])(?![\d.])(?!\s*(?:yuan|rmb|cny|元|块))",
            r"\d{1,2}\s*(?:-\s*)?ish(?![a-z])|\d{1,2}\s*o'?\s*clock",
            # Dates.
            r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*[日号]?|\d{4}\s*年",
            r"\d{1,2}\s*月\s*(?:\d{1,2}\s*[日号]?)?|\d{1,2}\s*/\s*\d{1,2}(?:\s*/\s*\d{2,4})?",
            r"\d{1,2}\.\d{1,2}(?=\s*(?:at\s+)?\d{1,2}:\d{2})",
            rf"[{_CN_DIGIT}十]{{1,3}}月(?:[{_CN_DIGIT}十]{{1,3}}[日号]?)?",
            r"(?<![\d.])\d{1,2}\s*[日号](?![码])|\d{1,2}(?:st|nd|rd|th)(?![a-z])",
            # Durations, counts and percentages.
            r"\d+(?:\.\d+)?\s*(?:个\s*)?(?:半\s*)?(?:小时|钟头|分钟|秒|工作日|天|周|星期|礼拜|个月|年|次|遍|笔|张|下(?!午)"
            r"|位|楼|层|%|hours?|hrs?|mins?|minutes?|secs?|seconds?|days?|weeks?|months?|years?"
            r"|times|percent|items?|pcs|business\s+days?|working\s+days?)(?![a-z])",
            rf"[{_CN_DIGIT}十几半]+\s*(?:个\s*)?(?:半\s*)?(?:小时|钟头|分钟|秒|天|星期|礼拜|个月|次|遍|笔|张)",
            # "两个300", "三笔50": a count of payments right before their amount.
            rf"[{_CN_DIGIT}十几]+\s*(?:个|笔|次|回)(?=\s*\d)",
            # Dashed or spaced digit groups (tickets, terminal IDs, phones, cards).
            r"[a-z]+-\d[\d-]*",
            r"(?<![\d\-])\d+(?:-\d+)+",
            r"\d{4}(?: \d{4}){2,}",
            # Tokens mixing letters and digits, except money glued to its unit.
            r"(?<![a-z0-9])(?!\d+(?:\.\d+)?(?:yuan|rmb|cny|kuai|bucks|k|s)(?![a-z0-9]))(?!x\d(?![a-z0-9]))"
            r"(?!(?:rmb|cny)\d)"
            r"[a-z0-9]*(?:[a-z]\d|\d[a-z])[a-z0-9]*",
            # Long digit runs with no money unit are IDs, cards or phones.
            rf"(?<![¥\d.,])\d{{7,}}(?![\d.,])(?!\s*(?:{_UNIT_ZH}|{_UNIT_EN}))",
        ]
    ),
    re.IGNORECASE,
)
# An amount right after these is a balance or a limit, not the charge.
# A number without a unit is still the charge when a payment word sits next to
# it: "扣了218", "消费了99.9", "金额是64", "charged me 41.5", "380 deducted".
_CUE_BEFORE = re.compile(
    r"(?:扣了?我?|扣款|扣除了?|扣费|消费了?|花了|付了|支付了?|刷了|收了我?|金额(?:是|为)?|共计|合计|一共|总共"
    r"|每次|每笔|各扣了?|少了|刷卡|付款|(?<![a-z])each(?:\s+time)?"
    r"|(?<![a-z])(?:pay|paying|payed|paid\s+for|charge|charging|spent|spend|spending|bill\s+of)"
    r"|(?<![a-z])(?:charged(?:\s+me)?(?:\s+(?:twice|again))?|deducted|debited|paid|cost|costs"
    r"|amount(?:\s+(?:was|is|of))?|charges?\s+of|total(?:\s+of)?))"
    r"(?:\s*(?:是|为|有|了))?\s*[:：=]?\s*$",
    re.IGNORECASE,
)
_CUE_AFTER = re.compile(
    r"\s*(?:(?:was|were|got|has\s+been|have\s+been|been|is)\s+)?(?:still\s+)?"
    r"(?:taken|deducted|debited|charged|withdrawn|gone|left\s+my\s+account)(?![a-z])"
    r"|\s*(?:都|也|各|全)?(?:被扣|扣了|扣掉)"
    r"|\s*(?:each(?:\s+time)?|apiece|twice|two\s+times|both\s+times)(?![a-z])"
    r"|\s*(?:[x×]|乘以?)\s*(?:[2-9]|两|二|三)(?![\d.])",
    re.IGNORECASE,
)
_NUMBER_WORD = re.compile(
    r"(?<![a-z])(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty"
    r"|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand)(?![a-z])",
    re.IGNORECASE,
)
# Markup, templates and SQL ("<script>alert(1)</script>", "{{7*7}}", "1 OR 1=1"): a message that
# looks like code is no answer to "how much was taken?", even though the bot asked for a number.
_CODE_LIKE = re.compile(
    r"[<>{}\[\]`\\|=]|\$\{|(?<![a-z0-9])[a-z_][a-z0-9_]*\(|[0-9]\s*[*^]\s*[0-9]|;\s*--",
    re.IGNORECASE,
)
# "the 264 from the bakery", "my 86 at Lawson": a sum named by where it was paid.
_THE_BEFORE = re.compile(r"(?<![a-z])(?:the|my)\s+$", re.IGNORECASE)
_AT_A_PLACE_AFTER = re.compile(r"\s+(?:from|at)\s+(?:the\s+|a\s+)?[a-z]", re.IGNORECASE)
_ONES = "one|two|three|four|five|six|seven|eight|nine"
_TEENS = "ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
# The fen said after a spelled amount, the way prices are read out: "two hundred fifteen
# thirty" (215.30), "twelve yuan eighty" (12.80), "nine oh five" (9.05). Nothing numeric may follow, or
# the words are a longer number.
_SPELLED_FEN = re.compile(
    rf"[\s-]+(?:(?P<unit>yuan|rmb|kuai|dollars?)\s+)?(?:and\s+)?"
    rf"(?P<fen>(?P<tens>{_TENS})(?:[\s-](?P<ones>{_ONES}))?|(?P<teen>{_TEENS})|(?:oh|o)[\s-](?P<oh>{_ONES}))"
    rf"(?:\s+(?:cents?|fen))?(?![\s-]*(?:{_ONES}|{_TEENS}|{_TENS}|hundred|thousand|\d))(?![a-z])"
    # ... nor a count or a time of something else ("thirty minutes later", "sixty people").
    r"(?!\s+(?:min|minutes?|hours?|hrs?|seconds?|secs?|days?|weeks?|months?|years?|people|persons?"
    r"|times|pm|am|o'?clock|percent|%)(?![a-z]))",
    re.IGNORECASE,
)
_WORD_VALUES = {
    **{word: index + 1 for index, word in enumerate(_ONES.split("|"))},
    **{word: index + 10 for index, word in enumerate(_TEENS.split("|"))},
    **{word: (index + 2) * 10 for index, word in enumerate(_TENS.split("|"))},
}
_UNIT_AFTER = re.compile(rf"\s*(?:{_UNIT_ZH}|{_UNIT_EN})", re.IGNORECASE)
_CURRENCY_BEFORE = re.compile(r"(?:¥|(?<![a-z])(?:rmb|cny))\s*$", re.IGNORECASE)
# "余额少了25块5" is the charge: the balance went down by it.
_BALANCE_BEFORE = re.compile(
    r"(?:余额|还剩|剩下|剩余|额度|限额|balance|limit)(?![^0-9]{0,4}(?:少|减|扣|没|dropped|down|less))"
    r"[^0-9]{0,6}$",
    re.I,
)


_INSTEAD_AFTER = re.compile(r"\s*(?:yuan|rmb|元|块)?\s*(?:instead|in\s+cash|by\s+cash|现金|另外付)", re.I)
_TOTAL_BEFORE = re.compile(
    r"(?:一共|总共|合计|共计|加起来|总计|快|差不多|in\s+total|altogether|total(?:\s+of)?|combined|almost|nearly"
    r"|that'?s(?:\s+almost|\s+nearly|\s+over)?)[^0-9]{0,4}$",
    re.I,
)


@dataclass(frozen=True)
class AmountMatch:
    """An amount in yuan and where it was read."""

    value: Decimal
    start: int
    end: int


def _decimal(token: str | None) -> Decimal | None:
    """Convert a digit string (with thousands commas) or Chinese numeral to Decimal."""
    if not token:
        return None
    if re.fullmatch(r"\d+,\d{2}", token):
        token = token.replace(",", ".")  # a decimal comma: "45,60" is 45.60 (thousands come in threes)
    token = token.replace(",", "").replace("点", ".") if token[0].isdigit() else token
    if re.fullmatch(r"\d+(?:\.\d+)?", token):
        return Decimal(token)
    value = chinese_numeral(token)
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _digit(token: str | None) -> Decimal:
    """Convert one digit (Arabic or Chinese) to Decimal, zero when absent."""
    value = _decimal(token) if token else None
    return value if value is not None else Decimal(0)


def _quantize(value: Decimal) -> Decimal | None:
    """Round to fen; reject absurd sizes."""
    if abs(value) >= _MAX_AMOUNT:
        return None
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _scaled(m: re.Match[str]) -> Decimal | None:
    """Read the main number of a match, applying 千/万/k."""
    value = _decimal(m.group("num"))
    if value is None:
        return None
    mult = (m.group("mult") or "").lower()
    return value * {"千": 1000, "k": 1000, "万": 10000}.get(mult, 1)


def _sub_units(m: re.Match[str], latin_unit: bool) -> Decimal | None:
    """Read the jiao/fen written after the main unit ("128块5", "128 yuan 50")."""
    sub = m.group("sub")
    if not sub:
        return Decimal(0)
    unit = (m.group("subu") or "").lower()
    if not unit and m.group("gap") and not latin_unit:
        return None  # "128块 5" is not 128.5
    digits = _decimal(sub)
    if digits is None:
        return None
    if unit in {"分", "cent", "cents", "fen"} or (not unit and len(sub) == 2):
        return digits / 100
    if len(sub) == 2:
        return None  # "50角" is not a sub-unit
    return digits / 10 + _digit(m.group("fen")) / 100


def _sub_end(m: re.Match[str]) -> int:
    """Return where the last jiao/fen part of a match ends, without trailing spaces."""
    return max(m.end(group) for group in ("unit", "sub", "subu", "fen"))


def _explicit(text: str) -> list[AmountMatch]:
    """Find amounts marked by a currency sign or unit."""
    found: list[AmountMatch] = []
    for m in _PREFIXED.finditer(text):
        value = _scaled(m)
        if value is not None:
            if m.group("sign") or m.group("sign2"):
                value = -value
            found.append(AmountMatch(value, m.start(), m.end()))
    for m in _SUFFIXED.finditer(text):
        value = _scaled(m)
        latin = re.fullmatch(_UNIT_EN, m.group("unit"), re.IGNORECASE) is not None
        sub = _sub_units(m, latin)
        if value is None:
            continue
        end = _sub_end(m) if sub and m.group("sub") else m.end("unit")
        value += sub or 0
        if m.group("sign"):
            value = -value
        found.append(AmountMatch(value, m.start(), end))
    for m in _CN_SUFFIXED.finditer(text):
        value = _decimal(m.group("cn"))
        sub = _sub_units(m, False)
        if value is None:
            continue
        end = _sub_end(m) if sub and m.group("sub") else m.end("unit")
        found.append(AmountMatch(value + (sub or 0), m.start(), end))
    for m in _JIAO_ONLY.finditer(text):
        jiao = _decimal(m.group("jiao"))
        if jiao is not None:
            found.append(AmountMatch(jiao / 10 + _digit(m.group("fen")) / 100, m.start(), m.end()))
    return _without_overlaps(found)


def _without_overlaps(items: list[AmountMatch]) -> list[AmountMatch]:
    """Keep the leftmost, longest of overlapping matches."""
    kept: list[AmountMatch] = []
    for item in sorted(items, key=lambda a: (a.start, -(a.end - a.start))):
        if kept and item.start < kept[-1].end:
            continue
        kept.append(item)
    return kept


def _bare(text: str) -> list[AmountMatch]:
    """Find numbers written without a unit."""
    found = []
    for m in _BARE_NUMBER.finditer(text):
        if m.group("cn"):
            # A lone "一"/"两" is a word ("一下", "两次"), not an amount.
            if not re.search(r"[十百千万亿点]", m.group("cn")):
                continue
            value = _decimal(m.group("cn"))
        else:
            value = _scaled(m)
            if value is not None and m.group("sign"):
                value = -value
        if value is not None:
            found.append(AmountMatch(value, m.start(), m.end()))
    return found


def _spelled(text: str) -> tuple[list[AmountMatch], list[AmountMatch]]:
    """Read English number words ("two hundred rmb") with Duckling: (with unit, without)."""
    if not _NUMBER_WORD.search(text):
        return [], []
    with_unit, without = [], []
    with parse_budget(DUCKLING_SECONDS):
        entities = duckling_parse(text, "EN", "number")
    for entity in entities:
        start, end = entity.get("start"), entity.get("end")
        value = (entity.get("value") or {}).get("value")
        if not (isinstance(start, int) and isinstance(end, int) and isinstance(value, (int, float))):
            continue
        if not re.search(r"[a-z]", text[start:end], re.IGNORECASE):
            continue  # digits are read by the regexes
        if re.match(r"\s+\d", text[end:]):
            continue  # "two 32s": a count of the payments that follow
        amount = Decimal(str(value))
        fen = _SPELLED_FEN.match(text, end) if amount == amount.to_integral_value() else None
        if fen:
            amount += _spelled_fen(fen) * (1 if amount >= 0 else -1)
            end = fen.end()
        unit = _UNIT_AFTER.match(text, end) or (fen if fen and fen.group("unit") else None)
        if unit or _CURRENCY_BEFORE.search(text[max(0, start - 5) : start]):
            with_unit.append(AmountMatch(amount, start, unit.end() if unit else end))
        else:
            without.append(AmountMatch(amount, start, end))
    return with_unit, without


def _spelled_fen(m: re.Match[str]) -> Decimal:
    words = [m.group(name) for name in ("tens", "ones", "teen", "oh") if m.group(name)]
    return Decimal(sum(_WORD_VALUES[word.lower()] for word in words)) / 100


def _cued(text: str, match: AmountMatch) -> bool:
    """Tell whether a number reads as money: a payment word next to it, "the 264 from the bakery",
    or fen ("312.40")."""
    before = text[max(0, match.start - 24) : match.start]
    if _CUE_BEFORE.search(before) or _CUE_AFTER.match(text, match.end):
        return True
    # Two digits at least: "the 3 from the list" is a position, not a sum.
    if match.value >= 10 and _THE_BEFORE.search(before) and _AT_A_PLACE_AFTER.match(text, match.end):
        return True
    # Two decimals are a price ("21.50"); "128.5" alone stays a bare number.
    return re.fullmatch(r"-?[\d,]+\.\d\d", text[match.start : match.end].strip()) is not None


def _aside(text: str, match: AmountMatch) -> bool:
    """A total of several payments, or another payment made instead: not the amount complained about."""
    before = text[max(0, match.start - 16) : match.start]
    return bool(_TOTAL_BEFORE.search(before) or _INSTEAD_AFTER.match(text, match.end))


def _choose(items: list[AmountMatch], text: str, correcting: bool) -> AmountMatch | None:
    """Pick the amount meant: not denied, not a balance, the last one when correcting."""
    kept = [a for a in items if not is_negated(text, a.start)]
    kept = [a for a in kept if not _BALANCE_BEFORE.search(text[max(0, a.start - 12) : a.start])]
    if not kept:
        return None
    # "扣了两个300 一共600": the payment's amount, not the total of several; "paid 87.60 instead":
    # another payment, not the one complained about.
    kept = [a for a in kept if not _aside(text, a)] or kept
    return kept[-1] if correcting else kept[0]


def find_amount(text: str, *, bare_number_ok: bool = False) -> AmountMatch | None:
    """Find the amount in text, with its span."""
    text = normalize(text[:MAX_CHARS])
    correcting = has_correction_marker(text)
    code_like = _CODE_LIKE.search(text) is not None
    text = mask(text, [m.span() for m in _NOT_AMOUNT.finditer(text)])
    spelled, spelled_bare = _spelled(text)
    explicit = _choose(_without_overlaps(_explicit(text) + spelled), text, correcting)
    if explicit is None:
        bare = _without_overlaps(_bare(text) + spelled_bare)
        cued = [a for a in bare if _cued(text, a)]
        if correcting:
            explicit = _choose(bare, text, correcting)
        elif cued:
            explicit = _choose(cued, text, correcting)
        elif bare_number_ok and not code_like:
            # One number, not counting a total or another payment ("that's almost 10k", "… instead").
            own = [a for a in bare if not _aside(text, a)] or bare
            if len({a.value for a in own}) == 1:
                explicit = own[0]
    if explicit is None:
        return None
    value = _quantize(explicit.value)
    return AmountMatch(value, explicit.start, explicit.end) if value is not None else None


def parse_amount(text: str, *, bare_number_ok: bool = False) -> Decimal | None:
    """Read an amount in yuan; a bare number counts only when bare_number_ok (the bot asked for it)."""
    match = find_amount(text, bare_number_ok=bare_number_ok)
    return match.value if match else None
