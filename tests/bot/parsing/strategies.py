"""Hypothesis settings and strategies shared by the parsers' property tests: hostile text (huge pastes,
control and format characters, markup, template and SQL syntax, look-alike digits) and the filler
people write around the facts.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 15, 30, tzinfo=SHANGHAI)  # a Thursday

# The amount parser's own bound: anything this large is an ID, not a payment.
AMOUNT_BOUND = Decimal("1e10")

FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- hostile text ----------------------------------------------------------------------

# Characters hostile or careless messages are made of: digits in three scripts, money and time
# words, labels, markup and code punctuation, control and format characters (NUL, ESC, bidi
# overrides, zero-width), emoji, and letters that case-fold or count as digits outside ASCII
# (Kelvin sign, long s, dotted I, Arabic-Indic digits).
_HOSTILE_CHARS = (
    "0123456789０１２３４５６７８９零〇一二两三四五六七八九十百千万点"
    "元块毛角分¥￥$.,:：-－—/ \u3000\u00a0\t\n\r"
    "终端号码密卡刷扣昨天下午上晚早周前后多左右不是"
    "TIDtidPOSposcvvPINpinamAMyuanrmb"
    "<>{}[]()=*;'\"`\\%&|#@!?"
    "\x00\x01\x07\x08\x1b\x7f\u0085\u2028\u202e\u202c\u2066\u2067\u2068\u2069\u200b\u200c\u200d\u200e"
    "\u200f\u2060\ufeff\u00ad"
    "\u212a\u017f\u0130\u0131\u0661\u0662\u0663"
    "😡💳🇨🇳\ufe0f\u20e3"
)
_FRAGMENTS = [
    *[
        "终端号",
        "终端号:",
        "TID ",
        "terminal id ",
        "POS机号",
        "参考号",
        "卡号",
        "尾号",
        "密码是",
        "PIN ",
        "cvv ",
    ],
    *["昨天", "前天晚上", "下午3点", "三点多", "15:32", "11月24日", "(周二)", "at 3pm", "yesterday", "刚才"],
    *["128块5", "¥1,280.00", "RMB 99", "128.50", "一百二十八元", "-23.80", "扣了", "charged ", "yuan"],
    *["1029-3847", "ab12 cd34", "A1B2C3D4", "12345678", "20261124", "6222021234567890128"],
    *["不是", "不对，", "sorry ", "actually ", "not ", "余额", "balance "],
    *["<script>", "</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)", "{{7*7}}", "${7*7}"],
    *["{slot}", "%s%n", "'; DROP TABLE tickets;--", " OR 1=1", "/restart", '/inform{"amount":"1"}'],
    *["../../etc/passwd", '{"text": "hi"}', "\x1b[31m", "\r\n", "\x00", "\u202e", "\u2066", "\u200b"],
    *["😭", "👨\u200d👩\u200d👧", "９９９", "１２８元", " ", "，", "。"],
    # Look-alikes: the Kelvin sign and long s fold to k and s, Arabic-Indic digits are digits too.
    *["ab12cd3\u212a", "\u017f1029384", "١٠٢٩٣٨٤٧", "不对 "],
]
HOSTILE_TEXT = st.one_of(
    st.text(max_size=200),  # any Unicode Hypothesis draws (never lone surrogates)
    st.text(alphabet=_HOSTILE_CHARS, max_size=120),
    st.lists(st.sampled_from(_FRAGMENTS), max_size=20).map("".join),
    st.text(alphabet=st.characters(max_codepoint=0x9F, whitelist_categories=("Cc",)), max_size=60),
)
# Pasted novels and floods: well past the parsers' 1000-character cut and the gateway's 2000.
HUGE_TEXT = st.tuples(
    st.lists(st.sampled_from(_FRAGMENTS), min_size=1, max_size=8).map("".join),
    st.integers(min_value=50, max_value=400),
).map(lambda piece_times: piece_times[0] * piece_times[1])


# Filler people write around the facts: no numbers, no labels, no denial or correction words.
_ZH_FILLER = [
    "刷卡失败了",
    "钱却被扣了",
    "请帮我查查",
    "急急急",
    "怎么办啊",
    "在超市",
    "😭😭",
    "！！",
    "<b>急</b>",
]
_EN_FILLER = ["the card machine said declined", "but the money is gone", "please help", "at the shop", "???"]
FILLER = st.lists(st.sampled_from(_ZH_FILLER + _EN_FILLER), max_size=4).map(" ".join)
