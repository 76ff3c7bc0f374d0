"""Transaction-time extraction from Chinese or English free text.

Contents (one file on purpose: the sections share the component types and are read together):
  the types (TimeWindow, TimeMatch) and Duckling's answers ........ top
  components found by regex (clocks, parts of day, relatives) ..... "Components found by regex"
  dates (day words, numeric and slash dates, weekdays, Duckling) .. "Dates"
  windows (a component resolved to a span; find_time, parse_time)  "Windows"
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo

from bot.parsing.duckling_calls import duckling_parse, parse_budget
from bot.parsing.normalize import (
    has_correction_marker,
    is_negated,
    mask,
    normalize,
)
from bot.parsing.numerals import chinese_numeral

# Chat messages are short; the cap keeps Duckling and the regexes cheap when
# someone pastes a novel or binary junk.
MAX_CHARS = 1000
# The most time Duckling may take reading the days in one message.
DUCKLING_SECONDS = 0.5

_EXACT_MARGIN = timedelta(minutes=5)
_JUST_NOW = timedelta(minutes=20)
_WAKING_HOUR = 6


@dataclass(frozen=True)
class TimeWindow:
    """A span of time the transaction happened in."""

    start: datetime
    end: datetime
    exact: bool

    @property
    def point(self) -> datetime:
        """Best single guess: the named instant if exact, else the midpoint."""
        # Exact windows are built symmetric around the named minute, so the
        # midpoint is that minute in both cases.
        return self.start + (self.end - self.start) / 2


@dataclass(frozen=True)
class TimeMatch:
    """A parsed time window and every time-like span seen in the text."""

    window: TimeWindow
    spans: tuple[tuple[int, int], ...]
    # True when only a day or a part of day was named ("今天", "last week",
    # "晚上"): chit-chat mentions those too, so callers may want more context.
    coarse: bool = False


def _wall(now: datetime) -> datetime:
    """Return now's wall-clock reading without a zone."""
    return now.replace(tzinfo=None)


def _duckling(text: str, now: datetime, lang: str) -> list[dict]:
    """Run Duckling's time dimension over text."""
    # Duckling is given now's wall clock as if it were UTC, so its answers are
    # wall-clock readings in the user's zone whatever kind of tzinfo now has
    # (ZoneInfo, fixed offset, ...), with no need for an IANA zone name.
    return duckling_parse(text, lang, "time", calendar.timegm(_wall(now).timetuple()))


def _naive(value: object) -> datetime | None:
    """Parse a Duckling timestamp into a naive wall-clock datetime."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        return None


# --------------------------------------------------------------------------
# Components found by regex
# --------------------------------------------------------------------------

_CN_DIGIT = "零〇一二两三四五六七八九十"
_MONEY_UNIT = r"(?:元|块|圆|毛|角|钱|yuan|rmb|cny|kuai)"
_NOT_MONEY_AFTER = (
    rf"(?!\s*{_MONEY_UNIT})"
    rf"(?![{_CN_DIGIT}]+\s*{_MONEY_UNIT})"
    rf"(?!\d(?!\d)(?:\.\d+)?\s*{_MONEY_UNIT})"
)
_ZH_CLOCK = re.compile(
    rf"(?<![\d.{_CN_DIGIT}百千万])"
    rf"(?:(?P<hd>\d{{1,2}})\s*(?:点钟|点|时(?![间候]))|(?P<hc>[{_CN_DIGIT}]{{1,3}})\s*(?:点钟|点))"
    r"(?:(?P<half>半)|(?P<quarter>[一三])刻"
    rf"|(?P<m>[0-5]?\d|[{_CN_DIGIT}]{{1,3}})(?![\d.])\s*(?:分钟|分)?)?"
    rf"{_NOT_MONEY_AFTER}",
    re.IGNORECASE,
)
_AMPM = r"(?P<ap>a\.?\s?m\.?|p\.?\s?m\.?)(?![a-z])"
_COLON_CLOCK = re.compile(
    r"(?<![\d.:])(?P<h>[01]?\d|2[0-4])\s?:\s?(?P<m>[0-5]\d)(?::[0-5]\d)?(?!\d)"
    rf"(?:\s*{_AMPM})?",
    re.IGNORECASE,
)
_MONTH_NAME = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE_BEFORE = re.compile(
    r"(?:\d{1,4}[-/.]\d{1,2}(?:[-/.]\d{1,4})?|\d{1,2}\s*月\s*\d{1,2}\s*[日号]?"
    rf"|{_MONTH_NAME}\s+\d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_NAME})"
    # The bot reads a date back as "11月25日(周三) 10:00"; a customer may copy it.
    r"(?:\s*\(?\s*(?:周|星期|礼拜)[一二三四五六日天]\s*\)?)?"
    r"\s*,?\s*(?:at\s+)?$",
    re.I,
)
_EN_UNIT_AFTER = (
    r"(?!\s*(?:%|percent|元|块|yuan|rmb|cny|kuai|bucks|dollars?|mins?\b|minutes?"
    r"|hours?|hrs?\b|h\b|days?|weeks?|months?|years?|times|secs?\b|seconds?|items?"
    r"|people|pcs|pieces|digits?|numbers?))"
)
_EN_PAST_TO = re.compile(
    r"(?<![a-z])(?P<q>half|quarter|twenty[\s-]?five|twenty|ten|five|\d{1,2})\s+(?P<mins>min(?:ute)?s?\s+)?"
    r"(?P<dir>past|to)\s+(?P<h>\d{1,2})(?!\d)"
    rf"(?:\s*{_AMPM})?{_EN_UNIT_AFTER}",
    re.IGNORECASE,
)
_MINUTE_WORDS = {"half": 30, "quarter": 15, "five": 5, "ten": 10, "twenty": 20, "twenty five": 25}
# British "half 5": half past five.
_EN_HALF_HOUR = re.compile(
    rf"(?<![a-z])half\s+(?P<h>\d{{1,2}})(?![\d:.]){_EN_UNIT_AFTER}(?!\s*(?:past|to)\b)", re.IGNORECASE
)
_EN_AMPM = re.compile(
    rf"(?<![\d.:a-z])(?P<h>\d{{1,2}})(?:\.(?P<m>[0-5]\d))?\s*{_AMPM}",
    re.IGNORECASE,
)
_EN_PREP = re.compile(
    r"(?<![a-z])(?P<prep>at|around|about|approx\.?|approximately|roughly|after|before"
    r"|by|like|~)\s*(?P<h>\d{1,2})(?!\s*[.,:/\-]?\d)(?!\s*-?\s*eleven)(?!-[a-z])(?!\s*[ap]\.?\s?m(?![a-z]))(?P<ish>\s*-?\s*ish(?![a-z]))?"
    rf"{_EN_UNIT_AFTER}",
    re.IGNORECASE,
)
_EN_OCLOCK = re.compile(
    r"(?<![\d.])(?P<h>\d{1,2})\s*(?:o'?\s*clock|(?P<ish>-?\s*ish))(?![a-z])",
    re.IGNORECASE,
)
_EN_NOON = re.compile(
    r"(?<![a-z])(?:(?P<prep>at|around|about|by|after|before)\s+(?P<w>noon|midday|midnight)"
    r"|(?P<bare>midnight))(?![a-z])",
    re.IGNORECASE,
)
_BARE_CLOCK = re.compile(
    r"\s*(?:(?:at|around|about|大概|大约|约|是|就是)\s*)?"
    r"(?:(?P<h>[01]?\d|2[0-4])(?:[.](?P<m>[0-5]\d))?|(?P<hh>[01]\d|2[0-3])(?P<mm>[0-5]\d))"
    r"\s*(?:(?P<mod>左右|多|-?ish|吧)\s*)?(?:[.!。!]\s*)?",
    re.IGNORECASE,
)

# Words around a clock time that widen or shift it.
_MOD_BEFORE = re.compile(
    r"(?P<w>大概|大约|大致|约莫|约|差不多|估计|around|about|approx\.?|approximately"
    r"|roughly|like|maybe|~|after|before|by)\s*(?:(?:是|在)\s*)?$",
    re.IGNORECASE,
)
_MOD_AFTER = re.compile(
    r"\s*(?P<w>多钟|来钟|多|左右|前后|上下|许|以后|之后|过后|以前|之前|前|后|整|钟|"
    r"or\s+so|-?\s*ish|sharp|on\s+the\s+dot)(?![a-z])",
    re.IGNORECASE,
)
_MOD_KIND = {
    "多钟": "after",
    "多": "after",
    "ish": "after",
    "-ish": "after",
    "after": "after",
    "以后": "after",
    "之后": "after",
    "过后": "after",
    "后": "after",
    "以前": "before",
    "之前": "before",
    "前": "before",
    "before": "before",
    "by": "before",
    "整": "sharp",
    "sharp": "sharp",
    "on the dot": "sharp",
}

# Parts of the day, with the day offset some compact words carry (昨晚 = last night).
_POD_WORDS: dict[str, tuple[str, int | None]] = {
    "今早": ("morning", 0),
    "今晨": ("morning", 0),
    "昨早": ("morning", -1),
    "昨晨": ("morning", -1),
    "今晚": ("evening", 0),
    "今夜": ("evening", 0),
    "昨晚": ("evening", -1),
    "昨夜": ("evening", -1),
    "前晚": ("evening", -2),
    "凌晨": ("dawn", None),
    "清晨": ("morning", None),
    "早上": ("morning", None),
    "早晨": ("morning", None),
    "一早": ("morning", None),
    "上午": ("morning", None),
    "中午": ("noon", None),
    "午间": ("noon", None),
    "下午": ("afternoon", None),
    "午后": ("afternoon", None),
    "傍晚": ("dusk", None),
    "黄昏": ("dusk", None),
    "晚上": ("evening", None),
    "晚间": ("evening", None),
    "夜里": ("evening", None),
    "夜间": ("evening", None),
    "夜晚": ("evening", None),
    "半夜": ("late", None),
    "深夜": ("late", None),
    "午夜": ("late", None),
}
_EN_POD = {
    "morning": "morning",
    "moring": "morning",
    "mornin": "morning",
    "morn": "morning",
    "afternon": "afternoon",
    "arvo": "afternoon",
    "evening": "evening",
    "evning": "evening",
    "evenin": "evening",
    "nite": "evening",
    "afternoon": "afternoon",
    "night": "evening",
    "noon": "noon",
    "midday": "noon",
    "lunchtime": "noon",
    "lunch time": "noon",
    "lunch": "noon",
}
_EN_POD_OFFSET = {"this": 0, "last": -1, "yesterday": -1, "tomorrow": 1}
_POD_RE = re.compile(
    "|".join(sorted(_POD_WORDS, key=len, reverse=True))
    + r"|(?<![a-z])(?:(?P<rel>this|last|yesterday|tomorrow)\s+)?"
    r"(?P<en>morning|moring|mornin|morn|afternoon|afternon|arvo|evening|evning|evenin|night|nite"
    r"|noon|midday|lunch\s?time|lunch)(?![a-z])"
    r"|(?<![a-z])(?P<tonight>tonight)(?![a-z])"
    # A lone 早/晚 glued to an hour ("晚8点") still names the part of day.
    rf"|(?P<short>[早晚])(?=\s*(?:\d|[{_CN_DIGIT}]+点))",
    re.IGNORECASE,
)
_POD_RANGE = {
    "dawn": (0, 6),
    "morning": (6, 12),
    "noon": (12, 14),
    "afternoon": (13, 18),
    "dusk": (17, 19),
    "evening": (18, 24),
    "late": (22, 26),
}

_DAY_WORDS = {
    "昨儿个": -1,
    "昨儿": -1,
    "今儿个": 0,
    "今儿": 0,
    "前儿个": -2,
    "大前天": -3,
    "前天": -2,
    "昨天": -1,
    "昨日": -1,
    "今天": 0,
    "今日": 0,
    "当天": 0,
    "明天": 1,
    "明日": 1,
    "后天": 2,
}
_DAY_RE = re.compile(
    "|".join(sorted(_DAY_WORDS, key=len, reverse=True))
    # Chat spellings Duckling does not know.
    + r"|(?<![a-z])(?P<yday>yday|yest|ytd|yesterdy|yesteday|yesturday|yesterady|yda)(?![a-z])"
    + r"|(?<![a-z])(?P<tday>tdy|2day|todya)(?![a-z])",
    re.IGNORECASE,
)

_JUST_NOW_RE = re.compile(
    # "刚才那个/刚才说的/刚才的申请" point at an earlier message, not a time.
    r"(?:刚才|刚刚|方才)(?!\s*(?:那|说|发|提|输|打|写|填|的申请|的投诉|的工单))"
    r"|刚(?=在|刷|付|买|用|消费|结账|扫|支付)"
    r"|(?<![a-z])(?:just\s+now|a\s+moment\s+ago|moments\s+ago"
    r"|just\s+(?=(?:paid|swiped|tapped|tried|used|bought|now)))",
    re.IGNORECASE,
)
_ZH_RELATIVE = re.compile(
    # Each optional part takes the spaces after it, so a long run of spaces (masked text) is read one
    # way only; a count starts where its digits start. Both keep the work linear in the text.
    rf"(?<![\d.{_CN_DIGIT}百几半])(?P<n>\d+(?:\.\d+)?|[{_CN_DIGIT}百几半]+)\s*(?:个\s*)?(?:(?P<half>半)\s*)?(?:个\s*)?"
    r"(?P<more>多\s*)?(?P<u>小时|钟头|分钟|分|天|星期|礼拜|周|秒|月)\s*(?P<more2>多\s*|左右\s*)?(?:以前|之前|前)"
    # "前几天" / "这几天": a few days back, not a count of anything.
    r"|(?P<few>前几天|前两天|这几天|这两天)"
)
# How many days either side a vague count of days spreads: "几天前" is two to five days back.
_VAGUE_DAYS = {"几": 2, "十几": 5, "几十": 10}
_EN_VAGUE = re.compile(
    r"(?<![a-z])(?:few|couple|several|some|about|around|roughly|or\s+so|ish)(?![a-z])", re.I
)
_EN_RELATIVE_SPAN = re.compile(r"(?<![a-z])(?:ago|earlier)(?![a-z])", re.I)
# Duckling spans that are not a past transaction: "the first (try)", "in 3 days".
_NOT_A_TIME_SPAN = re.compile(
    r"(?:the\s+)?(?:first|second|third|fourth|fifth|next\s+one)"
    r"|in\s+(?:\d+|an?|one|two|three|few|a\s+few|several|couple)\b.*",
    re.IGNORECASE,
)
# Greetings name a part of the day but no time: "下午好", "good evening", "morning bot".
_GREETING = re.compile(
    r"(?:早上|上午|中午|下午|晚上|早|晚)(?:好|安)"
    r"|(?<![a-z])good\s*(?:morning|afternoon|evening|night|day)(?![a-z])"
    r"|^\W*(?:morning|afternoon|evening)\W+(?:bot|all|everyone|there|guys|team)\W*$"
    r"|^\W*night\s+night\W*$",
    re.IGNORECASE,
)

_SLASH_DATE = re.compile(
    r"(?<![\d/.:])(?P<a>\d{1,2})/(?P<b>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?(?![\d/])"
    # "11.24 20:30", "11.23 晚上7点", "11.23号": a dotted date only before a clock time,
    # a part of the day or 号/日; anywhere else it is an amount.
    r"|(?<![\d.\-])(?P<da>\d{1,2})[.\-](?P<db>\d{1,2})(?![\d\-])(?=\s*(?:at\s+)?(?:\d{1,2}:\d{2}"
    r"|\d{1,2}\s*(?:点|[ap]\.?\s?m(?![a-z]))|[号日]|上午|下午|晚上|早上|中午|凌晨|傍晚|夜里|半夜"
    r"|(?:in\s+the\s+)?(?:morning|afternoon|evening|night)(?![a-z])))"
)
_NUMERIC_DATE = re.compile(
    r"(?<!\d)(?P<y>20\d\d)\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*(?P<d>\d{1,2})(?!\d)\s*[日号]?"
)
# Things Duckling should not read as dates: "7-11" is a shop and "1029-3847" a
# terminal ID, not ranges of days; amounts, IDs mixing letters and digits, and
# long digit runs (cards, phones, terminal IDs) are not dates either.
_NOT_A_DATE = re.compile(
    r"(?<![a-z])(?!(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*-\d)[a-z]+-\d[\d-]*"
    r"|(?<![\d/])\d+-\d+(?![\d/])"
    # "the 3rd floor", "2nd time": ordinals that count things, not days.
    r"|\d+(?:st|nd|rd|th)\s+(?:floor|fl|level|time|times|gate|exit|entrance|shop|store|stall|row|try|attempt)"
    # Amounts: Duckling reads the "00" of "¥1,280.00 yesterday" as an hour.
    r"|(?:¥|(?<![a-z])(?:rmb|cny)(?![a-z]))\s*-?\d[\d,]*(?:\.\d+)?|\d[\d,]*\.\d+"
    r"|\d+\s*(?:元|块|毛|角|(?<![a-z])(?:yuan|rmb|cny|kuai|bucks)(?![a-z]))"
    r"|(?<![a-z0-9])(?=[a-z0-9]{6,})[a-z0-9]*(?:[a-z]\d|\d[a-z])[a-z0-9]*(?![a-z0-9])"
    r"|\d{5,}",
    re.IGNORECASE,
)
# Bank SMS write "24-Nov" and "Nov-24"; Duckling reads them once the dash is a space.
_MONTH_DASH = re.compile(
    r"(?<=\d)-(?=(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*(?![a-z]))"
    r"|(?<=jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)-(?=\d)",
    re.IGNORECASE,
)
_ZH_WEEKDAY = re.compile(r"(?P<pre>上上|上|这|本|下)?(?:个)?(?:周|星期|礼拜)(?P<d>[一二三四五六日天1-7])")
_EN_WEEKDAY = re.compile(
    r"(?<![a-z])(?:(?P<pre>next|last|this|coming)\s+)?"
    r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?(?![a-z])",
    re.IGNORECASE,
)
_DAYISH = re.compile(
    r"昨|今|前天|明|后天|月|号|日|周|星期|礼拜|\d+/\d+|\d+(?:st|nd|rd|th)"
    r"|(?<![a-z])(?:yesterday|today|tonight|tomorrow|day|mon|tue|wed|thu|fri|sat|sun"
    r"|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)",
    re.IGNORECASE,
)
_EXPLICIT_YEAR = re.compile(r"\d{4}|(?<![a-z])(?:next|last|this)\s+year(?![a-z])", re.I)
_FUTURE_MARK = re.compile(r"明|后天|下|(?<![a-z])(?:next|tomorrow|coming)(?![a-z])", re.I)
_MONTH_MARK = re.compile(r"月|/|-|(?<![a-z])(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", re.I)
_WEEKDAY_INDEX = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}


@dataclass(frozen=True)
class _Clock:
    """A clock time as written, before it is placed on a day."""

    start: int
    end: int
    hour: int
    minute: int | None
    meridiem: str | None  # "am"/"pm" typed by the user
    fixed: bool  # 24-hour reading needs no am/pm guess ("15:32", "09:30", "0点")
    mod: str | None  # "approx" | "after" | "before" | "sharp"


@dataclass(frozen=True)
class _Pod:
    """A part of the day ("下午", "last night")."""

    start: int
    end: int
    kind: str
    offset: int | None


@dataclass(frozen=True)
class _Day:
    """A named day, week or month."""

    start: int
    end: int
    first: date
    last: date  # exclusive
    grain: str  # "day" | "week" | "month"


@dataclass(frozen=True)
class _Relative:
    """An "N units ago" phrase."""

    start: int
    end: int
    ago: timedelta
    unit: str  # "second" | "minute" | "hour" | "day"
    spread_days: int = 0  # a vague count ("十几天前", "a few days ago") is read as a range of days


def _cn_int(token: str) -> int | None:
    """Convert a digit or Chinese-numeral token to an int."""
    if token.isdigit():
        return int(token)
    value = chinese_numeral(token)
    if value is None:
        return None
    return int(value) if float(value) == int(value) else None


def _modifier(text: str, start: int, end: int) -> tuple[str | None, int]:
    """Return the modifier around a clock and how far its span reaches right."""
    mod = _modifier_before(text, start)
    after = _MOD_AFTER.match(text, end)
    if after:
        word = re.sub(r"\s+", " ", after.group("w").lower()).replace("- ", "-")
        if word == "钟":
            return mod, after.end()
        # "前"/"后" alone are too common ("前天", "后来") unless the clock ends there.
        if word in {"前", "后"} and after.end() < len(text):
            nxt = text[after.end()]
            if nxt in "天台面来边":
                return mod, end
        kind = _MOD_KIND.get(word, "approx")
        return kind, after.end()
    return mod, end


def _modifier_before(text: str, start: int) -> str | None:
    """Return the modifier written just before position start ("大概", "around")."""
    before = _MOD_BEFORE.search(text[max(0, start - 14) : start])
    if not before:
        return None
    return _MOD_KIND.get(re.sub(r"\s+", " ", before.group("w").lower()), "approx")


def _clock(
    text: str,
    start: int,
    end: int,
    hour: int,
    minute: int | None,
    *,
    meridiem: str | None = None,
    fixed: bool = False,
    mod: str | None = None,
) -> _Clock | None:
    """Build a clock component if the hour and minute are valid."""
    if not 0 <= hour <= 24 or (minute is not None and not 0 <= minute <= 59):
        return None
    if hour == 24 and minute:
        return None
    found_mod, end = _modifier(text, start, end)
    fixed = fixed or hour == 0 or hour > 12
    return _Clock(start, end, hour, minute, meridiem, fixed, mod or found_mod)


def _meridiem(raw: str | None) -> str | None:
    """Reduce an am/pm spelling to "am" or "pm"."""
    if not raw:
        return None
    return "am" if raw.strip().lower().startswith("a") else "pm"


def _find_clocks(text: str) -> list[_Clock]:
    """Find clock times in both languages, leftmost first, without overlaps."""
    found: list[_Clock] = []
    for m in _ZH_CLOCK.finditer(text):
        if m.group("hd"):
            hour = int(m.group("hd"))
            fixed = len(m.group("hd")) == 2 and m.group("hd").startswith("0")
        else:
            hour_token = m.group("hc")
            value = _cn_int(hour_token)
            if value is None:
                continue
            hour, fixed = value, False
            has_tail = m.group("half") or m.group("quarter") or m.group("m")
            spoken = has_tail or "钟" in m.group(0)
            if hour_token == "一" and not spoken and not _one_oclock_context(text, m):
                continue  # "一点" is usually "a little", not 1 o'clock
        minute: int | None = None
        if m.group("half"):
            minute = 30
        elif m.group("quarter"):
            minute = 15 if m.group("quarter") == "一" else 45
        elif m.group("m"):
            minute = _cn_int(m.group("m"))
            if minute is None:
                continue
        clock = _clock(text, m.start(), m.end(), hour, minute, fixed=fixed)
        if clock:
            found.append(clock)
    for m in _COLON_CLOCK.finditer(text):
        hour = int(m.group("h"))
        # "09:30" and "2026/11/25 10:08" (a receipt or SMS) are 24-hour readings.
        fixed = (m.group("h").startswith("0") and len(m.group("h")) == 2) or bool(
            _DATE_BEFORE.search(text[max(0, m.start() - 24) : m.start()])
        )
        clock = _clock(
            text,
            m.start(),
            m.end(),
            hour,
            int(m.group("m")),
            meridiem=_meridiem(m.group("ap")),
            fixed=fixed and not m.group("ap"),
        )
        if clock:
            found.append(clock)
    for m in _EN_AMPM.finditer(text):
        minute = int(m.group("m")) if m.group("m") else None
        clock = _clock(
            text, m.start(), m.end(), int(m.group("h")), minute,
            meridiem=_meridiem(m.group("ap")),
        )  # fmt: skip
        if clock and 1 <= clock.hour <= 12:
            found.append(clock)
    for m in _EN_PREP.finditer(text):
        prep = m.group("prep").lower().rstrip(".")
        mod = "after" if m.group("ish") else _MOD_KIND.get(prep)
        if mod is None and prep != "at":
            mod = "approx"
        clock = _clock(text, m.start(), m.end(), int(m.group("h")), None, mod=mod)
        if clock:
            found.append(clock)
    for m in _EN_PAST_TO.finditer(text):
        quarter = re.sub(r"[\s-]+", " ", m.group("q").lower())
        spelled = _MINUTE_WORDS.get(quarter)
        minutes = spelled or int(quarter)
        hour = int(m.group("h"))
        if m.group("dir").lower() == "to":
            # "3 to 5 (days)" is a range; only "quarter to 4", "10 minutes to 4" count.
            if quarter == "half" or not 0 < minutes < 60 or (quarter.isdigit() and not m.group("mins")):
                continue
            hour, minutes = (hour - 1) % 24, 60 - minutes
        clock = _clock(text, m.start(), m.end(), hour, minutes, meridiem=_meridiem(m.group("ap")))
        if clock:
            found.append(clock)
    for m in _EN_HALF_HOUR.finditer(text):
        clock = _clock(text, m.start(), m.end(), int(m.group("h")), 30)
        if clock:
            found.append(clock)
    for m in _EN_OCLOCK.finditer(text):
        mod = "after" if m.group("ish") else None
        clock = _clock(text, m.start(), m.end(), int(m.group("h")), None, mod=mod)
        if clock:
            found.append(clock)
    for m in _EN_NOON.finditer(text):
        prep = (m.group("prep") or "at").lower()
        hour = 0 if (m.group("w") or m.group("bare")).lower() == "midnight" else 12
        mod = _MOD_KIND.get(prep) or (None if prep == "at" else "approx")
        clock = _clock(text, m.start(), m.end(), hour, None, fixed=True, mod=mod)
        if clock:
            found.append(clock)
    return _leftmost_longest(found)


def _one_oclock_context(text: str, m: re.Match[str]) -> bool:
    """Tell whether a bare "一点" sits where a clock time is expected."""
    before = text[max(0, m.start() - 3) : m.start()]
    after = text[m.end() : m.end() + 2]
    return bool(re.search(r"[午上晚早晨天夜]\s*$", before) or re.match(r"钟|多|左右|前后|整", after))


def _leftmost_longest(items: Iterable[_Clock]) -> list[_Clock]:
    """Drop components that overlap an earlier, longer one."""
    kept: list[_Clock] = []
    for item in sorted(items, key=lambda c: (c.start, -(c.end - c.start))):
        if kept and item.start < kept[-1].end:
            continue
        kept.append(item)
    return kept


def _find_pods(text: str, taken: list[tuple[int, int]]) -> list[_Pod]:
    """Find parts of the day that do not overlap clock spans."""
    pods = []
    for m in _POD_RE.finditer(text):
        if any(m.start() < e and s < m.end() for s, e in taken):
            continue
        word = m.group(0)
        if m.group("en"):
            kind = _EN_POD[re.sub(r"\s+", " ", m.group("en").lower())]
            rel = m.group("rel")
            offset = _EN_POD_OFFSET[rel.lower()] if rel else None
        elif m.group("tonight"):
            kind, offset = "evening", 0
        elif m.group("short"):
            kind, offset = ("morning" if word == "早" else "evening"), None
        else:
            kind, offset = _POD_WORDS[word]
        pods.append(_Pod(m.start(), m.end(), kind, offset))
    return pods


def _find_zh_relatives(text: str) -> list[_Relative]:
    """Find Chinese "N units ago" phrases, which Duckling reads unreliably."""
    found = []
    for m in _ZH_RELATIVE.finditer(text):
        if m.group("few"):
            found.append(_Relative(m.start(), m.end(), timedelta(days=3), "day", spread_days=2))
            continue
        amount = _fuzzy_count(m.group("n"))
        if amount is None:
            continue
        if m.group("half"):
            amount += 0.5
        unit = m.group("u")
        if unit in {"小时", "钟头"}:
            ago, kind = timedelta(hours=amount), "hour"
        elif unit in {"分钟", "分"}:
            ago, kind = timedelta(minutes=amount), "minute"
        elif unit == "秒":
            ago, kind = timedelta(seconds=amount), "second"
        elif unit == "天":
            ago, kind = timedelta(days=amount), "day"
        elif unit == "月":
            if "个" not in m.group(0):
                continue  # "3月前" is "before March", not three months back
            ago, kind = timedelta(days=30 * amount), "day"
        else:
            ago, kind = timedelta(weeks=amount), "day"
        if ago > timedelta(days=400):
            continue
        spread = 0
        if kind == "day":
            token = m.group("n")
            spread = _VAGUE_DAYS.get(
                token, 1 if (m.group("more") or m.group("more2") or len(token) == 2) else 0
            )
            if unit == "月":
                spread = max(spread, round(6 * amount))  # "半个月前": about two weeks, give or take
            elif unit != "天":
                spread = max(spread, 1)  # "两周前": a week is not counted to the day
        found.append(_Relative(m.start(), m.end(), ago, kind, spread_days=spread))
    return found


def _fuzzy_count(token: str) -> float | None:
    """Read counts such as 两, 半, 几, 十几, 两三, 1.5 as a number."""
    fuzzy = {"半": 0.5, "几": 3.0, "十几": 15.0, "几十": 30.0}
    if token in fuzzy:
        return fuzzy[token]
    if "几" in token:
        return None
    pair = re.fullmatch(r"([一二两三四五六七八九])([二三四五六七八九])", token)
    if pair:
        a, b = (_cn_int(x) for x in pair.groups())
        if a is not None and b == a + 1:
            return (a + b) / 2
    if re.fullmatch(r"\d+(?:\.\d+)?", token):
        return float(token)
    value = _cn_int(token)
    return None if value is None else float(value)


# --------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------


def _find_day_words(text: str, today: date) -> list[_Day]:
    """Find 今天/昨天/前天/大前天 and friends (Duckling drops the 大 of 大前天)."""
    days = []
    for m in _DAY_RE.finditer(text):
        offset = -1 if m.group("yday") else 0 if m.group("tday") else _DAY_WORDS[m.group(0)]
        day = today + timedelta(days=offset)
        days.append(_Day(m.start(), m.end(), day, day + timedelta(days=1), "day"))
    return days


def _find_numeric_dates(text: str) -> list[_Day]:
    """Find 2026-11-24, 2026/11/24 and 2026年11月24日, which Duckling reads only in part."""
    days = []
    for m in _NUMERIC_DATE.finditer(text):
        try:
            day = date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
        except ValueError:
            continue
        days.append(_Day(m.start(), m.end(), day, day + timedelta(days=1), "day"))
    return days


def _find_slash_dates(text: str, today: date) -> list[_Day]:
    """Find 11/24, 24/11 and 11.24: the reading that makes a valid, most recent past date wins."""
    days = []
    for m in _SLASH_DATE.finditer(text):
        a, b = int(m.group("a") or m.group("da")), int(m.group("b") or m.group("db"))
        year = m.group("y")
        readings = []
        for month, day_of_month in ((a, b), (b, a)):
            for y in (
                [2000 + int(year) % 100 if year and len(year) == 2 else int(year)]
                if year
                else [
                    today.year,
                    today.year - 1,
                ]
            ):
                try:
                    candidate = date(y, month, day_of_month)
                except ValueError:
                    continue
                if year or candidate <= today:
                    readings.append(candidate)
        if readings:
            day = max(readings)
            days.append(_Day(m.start(), m.end(), day, day + timedelta(days=1), "day"))
    return days


def _find_zh_weekdays(text: str, today: date) -> list[_Day]:
    """Resolve 周三/上周五/这周一: Duckling sends bare and 这周 weekdays to the future."""
    days = []
    monday = today - timedelta(days=today.weekday())
    for m in _ZH_WEEKDAY.finditer(text):
        token = m.group("d")
        index = int(token) - 1 if token.isdigit() else _WEEKDAY_INDEX[token]
        pre = m.group("pre")
        if pre is None:
            # A payment has already happened: a bare weekday is the latest one.
            day = today - timedelta(days=(today.weekday() - index) % 7)
        else:
            weeks = {"上上": -2, "上": -1, "这": 0, "本": 0, "下": 1}[pre]
            day = monday + timedelta(weeks=weeks, days=index)
        days.append(_Day(m.start(), m.end(), day, day + timedelta(days=1), "day"))
    return days


def _month_start(day: date, months: int) -> date:
    """Return the first day of the month `months` away from day's month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _shift_to_past(span: str, day: date, today: date) -> date:
    """Move a year-less date Duckling put in the future back to its latest past."""
    if day <= today or _FUTURE_MARK.search(span) or _EXPLICIT_YEAR.search(span):
        return day
    weekday = _EN_WEEKDAY.search(span)
    if weekday and not weekday.group("pre"):
        return day - timedelta(days=7 * (((day - today).days + 6) // 7))
    if weekday:
        return day
    if _MONTH_MARK.search(span):
        try:
            return day.replace(year=day.year - 1)
        except ValueError:  # 29 February
            return day - timedelta(days=365)
    # Day of month only ("24号", "the 24th"): the same day of an earlier month.
    for months in range(1, 13):
        first = _month_start(day, -months)
        try:
            candidate = first.replace(day=day.day)
        except ValueError:
            continue
        if candidate <= today:
            return candidate
    return day


def _duckling_components(text: str, now: datetime, run_zh: bool) -> tuple[list[_Day], list[_Relative]]:
    """Read dates and English "ago" phrases with Duckling."""
    today = now.date()
    wall_now = _wall(now)
    if not re.search(r"[a-z0-9\u4e00-\u9fff]", text, re.IGNORECASE):
        return [], []
    entities = (_duckling(text, now, "ZH") if run_zh else []) + _duckling(text, now, "EN")
    days: list[_Day] = []
    relatives: list[_Relative] = []
    taken: list[tuple[int, int]] = []
    for entity in sorted(entities, key=lambda e: -(e.get("end", 0) - e.get("start", 0))):
        start, end = entity.get("start"), entity.get("end")
        value = entity.get("value")
        if not isinstance(start, int) or not isinstance(end, int):
            continue
        if not isinstance(value, dict) or start >= end or end > len(text):
            continue
        if any(start < e and s < end for s, e in taken):
            continue
        span = text[start:end]
        if _NOT_A_TIME_SPAN.fullmatch(span.strip()) or span.endswith("个号"):
            continue
        if value.get("type") == "value":
            point, grain = _naive(value.get("value")), value.get("grain")
        elif value.get("type") == "interval" and isinstance(value.get("from"), dict):
            point, grain = _naive(value["from"].get("value")), value["from"].get("grain")
        else:
            continue
        if point is None or abs(point.year - today.year) > 2:
            continue
        if _EN_RELATIVE_SPAN.search(span):
            ago = wall_now - point
            if timedelta(0) <= ago <= timedelta(days=400):
                vague = _EN_VAGUE.search(text[max(0, start - 12) : end]) is not None
                unit = _unit_of(span)
                relatives.append(
                    _Relative(start, end, ago, unit, spread_days=2 if vague and unit == "day" else 0)
                )
                taken.append((start, end))
            continue
        if grain in {"day", "week", "month"} and value.get("type") == "value":
            first = _shift_to_past(span, point.date(), today) if grain == "day" else point.date()
            if grain == "day":
                last = first + timedelta(days=1)
            elif grain == "week":
                last = first + timedelta(weeks=1)
            else:
                last = _month_start(first, 1)
            days.append(_Day(start, end, first, last, str(grain)))
            taken.append((start, end))
        elif grain in {"hour", "minute", "second"} and _DAYISH.search(span):
            # The clock part is the regexes' job (Duckling misreads "一点",
            # "八点五元" or the "00" of "¥1,280.00"); keep only the day it names.
            first = _shift_to_past(span, point.date(), today)
            days.append(_Day(start, end, first, first + timedelta(days=1), "day"))
            taken.append((start, end))
    return days, relatives


def _unit_of(span: str) -> str:
    """Name the unit of an English "N units ago" phrase."""
    lowered = span.lower()
    if re.search(r"day|week|month|year", lowered):
        return "day"
    if re.search(r"hour|hr", lowered):
        return "hour"
    if re.search(r"sec", lowered):
        return "second"
    return "minute"


# --------------------------------------------------------------------------
# Windows
# --------------------------------------------------------------------------


def _at(day: date, minutes: int, tz: tzinfo | None) -> datetime:
    """Return the instant `minutes` after midnight of day in tz."""
    return datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(minutes=minutes)


def _clock_window(start: datetime, minute_named: bool, mod: str | None) -> TimeWindow:
    """Widen a clock reading into a window according to its modifier."""
    if minute_named:
        margins = {
            "approx": (timedelta(minutes=15), timedelta(minutes=15)),
            "after": (timedelta(0), timedelta(minutes=10)),
            "before": (timedelta(minutes=30), timedelta(0)),
        }
    else:
        margins = {
            "approx": (timedelta(minutes=30), timedelta(minutes=30)),
            "after": (timedelta(0), timedelta(hours=1)),
            "before": (timedelta(hours=1), timedelta(0)),
            # People round a time down to the hour they remember.
            None: (timedelta(minutes=10), timedelta(minutes=20)),
        }
    if mod in margins:
        before, after = margins[mod]
        return TimeWindow(start - before, start + after, exact=False)
    return TimeWindow(start - _EXACT_MARGIN, start + _EXACT_MARGIN, exact=True)


def _apply_pod(hour: int, kind: str) -> int:
    """Turn a 12-hour reading into 24-hour using the part of day."""
    if hour > 12:
        return hour
    if kind == "dawn":
        return 0 if hour == 12 else hour
    if kind == "morning":
        return hour
    if kind == "noon":
        return hour + 12 if 1 <= hour <= 5 else hour
    if kind == "evening" and (hour <= 4 or hour == 12):
        return hour + 24 if hour <= 4 else 24  # "晚上1点"/"晚上12点" run past midnight
    if kind == "late":
        return hour + 24 if hour == 12 else (hour if hour < 6 else hour + 12)
    return hour if hour == 12 else hour + 12


def _resolve_clock(clock: _Clock, day: date | None, pod: _Pod | None, now: datetime) -> TimeWindow:
    """Place a clock reading on a day, guessing am/pm when nothing says it."""
    tz, today = now.tzinfo, now.date()
    if day is None and pod is not None and pod.offset is not None:
        day = today + timedelta(days=pod.offset)
    hour = clock.hour
    if clock.meridiem == "am":
        hours = [0 if hour == 12 else hour]
    elif clock.meridiem == "pm":
        hours = [hour if hour >= 12 else hour + 12]
    elif pod is not None:
        hours = [_apply_pod(hour, pod.kind)]
    elif clock.fixed:
        hours = [hour]
    else:
        hours = [hour % 12, hour % 12 + 12]
    ambiguous = len(hours) > 1
    days = [day] if day is not None else [today] if not ambiguous else [today, today - timedelta(days=1)]
    minute_named = clock.minute is not None
    readings = [
        (h, _clock_window(_at(d, h * 60 + (clock.minute or 0), tz), minute_named, clock.mod))
        for d in days
        for h in hours
    ]
    if len(readings) == 1:
        return readings[0][1]
    # An ambiguous bare hour means its most recent past occurrence; card
    # payments happen while people are awake, so 00:00-05:59 readings are a
    # last resort ("三点多" at 14:00 is yesterday afternoon, not 3 a.m.).
    past = [(h, w) for h, w in readings if w.start <= now]
    awake = [(h, w) for h, w in past if h >= _WAKING_HOUR]
    if awake or past:
        return max(awake or past, key=lambda r: r[1].start)[1]
    return min((w for _h, w in readings), key=lambda w: w.start)


def _pod_window(pod: _Pod, day: date | None, now: datetime) -> TimeWindow:
    """Return the window of a part of the day."""
    if day is None:
        day = now.date() + timedelta(days=pod.offset or 0)
    first, last = _POD_RANGE[pod.kind]
    return TimeWindow(_at(day, first * 60, now.tzinfo), _at(day, last * 60, now.tzinfo), False)


def _relative_window(rel: _Relative, now: datetime) -> TimeWindow:
    """Return the window around "N units ago"."""
    point = now - rel.ago
    if rel.unit == "day":
        day = point.date()
        first, last = day - timedelta(days=rel.spread_days), day + timedelta(days=1 + rel.spread_days)
        end = min(_at(last, 0, now.tzinfo), now) if last > now.date() else _at(last, 0, now.tzinfo)
        return TimeWindow(_at(first, 0, now.tzinfo), max(end, _at(first, 0, now.tzinfo)), False)
    # People round "ago" more coarsely the further back it is: a third of
    # the distance, at least 5 minutes and at most half an hour each side.
    margin = min(max(rel.ago / 3, timedelta(minutes=5)), timedelta(minutes=30))
    return TimeWindow(point - margin, min(point + margin, max(now, point)), False)


def _pick(items: list, text: str, correcting: bool) -> object | None:
    """Choose the value the user means: not denied, and the last one when correcting."""
    kept = [item for item in items if not is_negated(text, item.start)]
    if not kept:
        return None
    return kept[-1] if correcting else kept[0]


def _nearest(items: Iterable, start: int, end: int) -> object | None:
    """Return the item closest to the span [start, end)."""
    best, best_gap = None, None
    for item in items:
        gap = max(item.start - end, start - item.end, 0)
        if best_gap is None or gap < best_gap:
            best, best_gap = item, gap
    return best


def _adjacent_pod(text: str, pods: list[_Pod], clock: _Clock) -> _Pod | None:
    """Return the part of day written next to a clock ("下午3点", "3 in the afternoon")."""
    best = None
    for pod in pods:
        if pod.end <= clock.start:
            gap = text[pod.end : clock.start]
        elif pod.start >= clock.end:
            gap = text[clock.end : pod.start]
        else:
            continue
        close = len(gap) <= 8 and not re.search(r"\d", gap)
        if close and (best is None or abs(pod.start - clock.start) < abs(best.start - clock.start)):
            best = pod
    return best


def _bare_clock(text: str) -> list[_Clock]:
    """Read a message that is only an hour ("3", "15", "1530") as a clock time."""
    m = _BARE_CLOCK.fullmatch(text)
    if not m:
        return []
    hour = m.group("h") or m.group("hh")
    minute_token = m.group("m") or m.group("mm")
    minute = int(minute_token) if minute_token else None
    mod = {"左右": "approx", "多": "after", "ish": "after", "-ish": "after"}.get(
        (m.group("mod") or "").lower()
    )
    start = m.start("h") if m.group("h") else m.start("hh")
    clock = _clock(text, start, m.end(), int(hour), minute, mod=mod)
    return [clock] if clock else []


def find_time(text: str, now: datetime, *, bare_ok: bool = False) -> TimeMatch | None:
    """Find the transaction time in text and the spans of everything time-like."""
    text = normalize(text[:MAX_CHARS])
    today = now.date()
    correcting = has_correction_marker(text)
    text = mask(text, [m.span() for m in _GREETING.finditer(text)])

    clocks = _find_clocks(text)
    if bare_ok and not clocks:
        clocks = _bare_clock(text)
    clock_spans = [(c.start, c.end) for c in clocks]
    zh_relatives = _find_zh_relatives(text)
    # "四天前晚上": the 前 belongs to "四天前", not to a "前晚" (the evening before yesterday).
    pods = _find_pods(mask(text, [(r.start, r.end) for r in zh_relatives]), clock_spans)
    just_now = [(m.start(), m.end()) for m in _JUST_NOW_RE.finditer(text)]
    weekdays = _find_zh_weekdays(text, today)
    own_days = (
        _find_day_words(text, today) + weekdays + _find_numeric_dates(text) + _find_slash_dates(text, today)
    )

    regex_spans = (
        clock_spans
        + [(p.start, p.end) for p in pods]
        + [(r.start, r.end) for r in zh_relatives]
        + just_now
        + [(d.start, d.end) for d in own_days]
    )
    hidden = mask(text, regex_spans + [m.span() for m in _NOT_A_DATE.finditer(text)])
    hidden = _MONTH_DASH.sub(" ", hidden)
    run_zh = re.search(r"[\u4e00-\u9fff]", hidden) is not None
    with parse_budget(DUCKLING_SECONDS):
        duck_days, en_relatives = _duckling_components(hidden, now, run_zh)
    days = _without_weekdays_beside_dates(text, sorted(own_days + duck_days, key=lambda d: d.start), weekdays)
    relatives = sorted(zh_relatives + en_relatives, key=lambda r: r.start)
    spans = tuple(
        sorted(regex_spans + [(d.start, d.end) for d in duck_days] + [(r.start, r.end) for r in en_relatives])
    )

    composed = _compose(text, now, clocks, pods, days, relatives, just_now, correcting)
    if composed is None:
        return None
    window, coarse = composed
    return TimeMatch(window, spans, coarse)


# "11月19日(周四)", "11月19日 周四": the weekday only qualifies the date beside it.
_DATE_WEEKDAY_GAP = re.compile(r"[\s(),，、]{0,3}")


def _without_weekdays_beside_dates(text: str, days: list[_Day], weekdays: list[_Day]) -> list[_Day]:
    """Drop weekdays written next to a calendar date: read alone, a bare weekday is the latest such
    day, which for a date more than a week back (the bot's own read-back copied into a correction)
    is another day, and the one nearer the clock would win."""
    dated = [d for d in days if d not in weekdays and re.search(r"\d", text[d.start : d.end])]

    def beside_a_date(weekday: _Day) -> bool:
        for day in dated:
            if day.end <= weekday.start:
                gap = text[day.end : weekday.start]
            elif weekday.end <= day.start:
                gap = text[weekday.end : day.start]
            else:
                continue
            if _DATE_WEEKDAY_GAP.fullmatch(gap):
                return True
        return False

    return [d for d in days if d not in weekdays or not beside_a_date(d)]


def _compose(
    text: str,
    now: datetime,
    clocks: list[_Clock],
    pods: list[_Pod],
    days: list[_Day],
    relatives: list[_Relative],
    just_now: list[tuple[int, int]],
    correcting: bool,
) -> tuple[TimeWindow, bool] | None:
    """Combine the components into one window, most specific first; say if it is coarse."""
    single_days = [d for d in days if d.grain == "day" and not is_negated(text, d.start)]
    days_ago = [r for r in relatives if r.unit == "day" and not is_negated(text, r.start)]

    def day_near(start: int, end: int) -> date | None:
        # A named day first; else "N days ago" / "N天前" names the day of a clock time or part of day.
        day = _nearest(single_days, start, end)
        if isinstance(day, _Day):
            return day.first
        ago = _nearest(days_ago, start, end)
        return (now - ago.ago).date() if isinstance(ago, _Relative) else None

    clock = _pick(clocks, text, correcting)
    if isinstance(clock, _Clock):
        pod = _adjacent_pod(text, pods, clock)
        if clock.mod is None and pod is not None and pod.end <= clock.start:
            # "大概下午3点": the hedge comes before the part of day.
            clock = replace(clock, mod=_modifier_before(text, pod.start))
        return _resolve_clock(clock, day_near(clock.start, clock.end), pod, now), False
    relative = _pick(relatives, text, correcting)
    pod = _pick(pods, text, correcting)
    if isinstance(pod, _Pod) and (not isinstance(relative, _Relative) or relative.unit == "day"):
        # "3天前的晚上": the evening of that day, not the whole day; "昨晚", "yesterday evening" name
        # their own day, whatever other day the message mentions ("…and today my card shows it").
        day = None if pod.offset is not None else day_near(pod.start, pod.end)
        return _pod_window(pod, day, now), True
    if isinstance(relative, _Relative):
        return _relative_window(relative, now), relative.unit == "day"
    if just_now:
        # Coarse: "刚才" also points at earlier messages and other errands.
        return TimeWindow(now - _JUST_NOW, now, exact=False), True
    chosen = _pick(days, text, correcting)
    if isinstance(chosen, _Day):
        # A calendar date ("11月24日", "Nov 24") is stated on purpose; "today" may be chit-chat.
        named = re.search(
            r"\d|(?<![a-z])(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)",
            text[chosen.start : chosen.end],
            re.I,
        )
        window = TimeWindow(_at(chosen.first, 0, now.tzinfo), _at(chosen.last, 0, now.tzinfo), False)
        return window, named is None
    return None


def parse_time(text: str, now: datetime) -> TimeWindow | None:
    """Read a transaction time from text, relative to `now` (aware; its tzinfo is the user's zone)."""
    match = find_time(text, now)
    return match.window if match else None
