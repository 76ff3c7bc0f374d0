"""What a message says about the conversation itself, whatever the NLU made of it.

The intent classifier learns from our examples; customers do not type our examples. These detectors
are the general rules underneath it: phrases that mean "a person, please", "that was not me", "I
don't know", "the shop kept the goods" or "how long?" in any tone, capitalisation or mix of
languages. Pure: text in, flags out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.parsing.normalize import has_correction_marker, normalize

_FLAGS = re.IGNORECASE

_PERSON = re.compile(
    # English: a person, a human, an agent... asked for, or the bare word as a whole message.
    r"(?<![a-z])(?:real|actual|live|human)\s+(?:person|human|being|agent|people|operator)"
    r"|(?<![a-z])(?:talk|speak|chat)(?:ing)?\s+(?:to|with)\s+(?:a|an|some|your|the)?\s*"
    r"(?:human|person|agent|someone|somebody|staff|manager|supervisor|representative|rep|operator|people)"
    r"|(?<![a-z])(?:put|get|transfer|connect|pass|escalate)\s+(?:me|this|it)\s+(?:through\s+)?(?:to|with)\s+"
    r"(?:a|an|some|your|the)?\s*(?:human|person|agent|someone|somebody|staff|manager|supervisor|"
    r"representative|rep|operator|customer\s+service)"
    r"|(?<![a-z])(?:want|need|give\s+me|get\s+me)\s+(?:a|an|to\s+talk\s+to\s+a)?\s*"
    r"(?:human|person|agent|manager|supervisor|representative|operator|real\s+one)(?![a-z])"
    r"|(?<![a-z])customer\s+(?:service|support)\s+(?:please|now|pls)"
    r"|(?<![a-z])(?:transfer|pass|hand)\s*(?:me\s*)?(?:to|给)?\s*(?:a\s+)?(?:human|person|agent|真人|人工)"
    r"|(?:转|给|找|要)\s*(?:个\s*)?(?:human|person|agent|real\s+person)(?![a-z])"
    r"|(?<![a-z])(?:don'?t|do\s+not)\s+want\s+(?:to\s+(?:talk|chat|speak)\s+(?:to|with)\s+)?(?:a\s+|the\s+)?(?:bot|robot|machine|ai)(?![a-z])"
    r"|^\W*(?:human|person|agent|operator|representative)\W*(?:please|pls|now)?\W*$"
    r"|[.!?]\s*(?:human|person|agent|operator)\s*(?:please|pls|now)?\W*$"
    # Chinese: a person asked for in the customer's own voice (a slip's "请人工处理" is not a request).
    r"|转人工|人工客服|人工服务|找人工|要人工|接人工|叫人工|换人工|人工\s*[!！]|^\W*人工\W*$|真人|活人"
    r"|(?:我要|我想|帮我|给我|让我|请)(?:找|转|接|联系|叫|换)(?:你们)?(?:的)?(?:客服|工作人员|经理|负责人|专员|人)"
    r"|(?:让|请|叫)(?:一个|个)?人(?:来|跟我|和我)"
    r"|(?<!自己)(?<!叫我)(?<!让我)(?:叫|找|要|转|接|换)(?:你们|你|个)?(?:的)?(?:人工|真人|活人|经理|负责人)(?!智能)"
    r"|不(?:想|要|跟|和)\s*(?:跟|和)?\s*(?:机器|机器人|ai|bot)",
    _FLAGS,
)

# The customer does not recognise the debit, or has lost the card: not a failed payment at all.
_FRAUD = re.compile(
    r"(?<![a-z])never\s+(?:been\s+|was\s+|went\s+|go\s+)?(?:in|to|at|near)\s+(?:that|this|the)"
    r"|(?<![a-z])never\s+(?:been|was|went|go)\s+(?:in|to|at|near)"
    r"|(?<![a-z])(?:wasn'?t|was\s+not|not)\s+me(?![a-z])"
    r"|(?<![a-z])(?:didn'?t|did\s+not|never)\s+(?:make|authori[sz]e|do)\s+(?:this|that|the|any)\s*"
    r"(?:payment|purchase|transaction|charge)?"
    r"|(?<![a-z])(?:don'?t|do\s+not)\s+recogni[sz]e"
    r"|(?<![a-z])unauthori[sz]ed|(?<![a-z])stolen|(?<![a-z])fraud"
    r"|(?<![a-z])(?:didn'?t|did\s+not|never)\s+(?:make|authori[sz]e)(?![a-z])(?!\s+it(?![a-z]))"
    r"|(?<![a-z])(?:lost|misplaced)\s+(?:my\s+)?(?:card|wallet|purse)"
    r"|(?<![a-z])(?:left|forgot)\s+my\s+(?:bank\s+)?card\s+(?:at|in|on|behind)(?![a-z])"
    r"|(?<![a-z])(?:card|wallet)\s+(?:was|got|has\s+been)\s+(?:lost|stolen|taken|skimmed|cloned)"
    r"|(?<![a-z])someone\s+(?:else\s+)?(?:used|is\s+using|has\s+used|took|stole|cloned|copied)"
    r"|(?<![a-z])never\s+left\s+my\s+(?:wallet|pocket|hand|sight|bag|home)"
    r"|(?<![a-z])(?:card|it)\s+(?:is|was|has\s+been)\s+(?:with\s+me|in\s+my\s+(?:wallet|pocket))\s+"
    r"(?:the\s+)?(?:whole|all)"
    r"|(?:卡|钱包)(?:落|忘|丢)在|盗刷|被盗|挂失|被人(?:刷|用|盗)|(?:卡|钱包)(?:已经|被人?)?(?:丢了|丢失|遗失|掉了|不见了|偷了|被偷)"
    r"|不是我(?:本人)?(?:刷|消费|付|买|花|操作|用)|我(?:从来)?没(?:有)?(?:去过|在那|到过)"
    r"|(?:从来|根本)没(?:有)?(?:去|到|在)|卡(?:一直)?在我(?:身上|手里|钱包|手上|这)"
    r"|不认识这笔|不认得这笔|陌生(?:交易|扣款|消费)|莫名其妙.{0,6}(?:扣|消费|刷)"
    # Card details or a one-time code given to a caller or a link: a scam, not a failed payment.
    r"|(?:报|给|告诉|发|输入?了?)(?:了)?(?:对方|他们?|她)?(?:的)?(?:验证码|动态码|短信码)|(?:假|冒充)(?:的)?客服|钓鱼|被骗|诈骗|骗走"
    r"|(?<![a-z])(?:gave|sent|told|entered|typed|put\s+in)\s+(?:them\s+|him\s+|her\s+)?(?:the|my|a)\s+"
    r"(?:verification\s+|one[-\s]?time\s+|sms\s+|security\s+)?code|(?<![a-z])(?:otp|scam(?:med)?|phishing)(?![a-z])"
    r"|(?<![a-z])(?:put|typed|entered|gave)\s+(?:in\s+)?(?:my|them\s+my)\s+card\s+(?:number|details)"
    r"|(?<![a-z])(?:link|website)\s+to\s+(?:claim|get)",
    _FLAGS,
)

# "I don't know" in its many forms: an answer, not a failure.
_UNKNOWN = re.compile(
    r"(?<![a-z])(?:i\s+)?(?:don'?t|do\s+not|dont|didn'?t|did\s+not)\s+(?:really\s+)?"
    r"(?:know|remember|recall|have|see|find|get|keep|take|notice|look|check|save)"
    r"|(?<![a-z])no\s+(?:idea|clue|receipt|slip|paper|sticker|label|way\s+to\s+(?:know|tell|check))"
    r"|(?<![a-z])not\s+(?:sure|certain|on\s+me|with\s+me)"
    r"|(?<![a-z])(?:can'?t|cannot|couldn'?t|could\s+not|unable\s+to)\s+(?:find|see|remember|recall|read|tell|say|check)"
    r"|(?<![a-z])(?:forgot|forget|forgotten|idk|dunno|unsure|no\s+idea)(?![a-z])"
    r"|(?<![a-z])(?:threw|thrown|binned|lost)\s+(?:it|the\s+receipt|the\s+slip|my\s+receipt)"
    r"|(?<![a-z])(?:have|has)n'?t\s+got"
    r"|不知道|不清楚|不记得|记不清|记不得|记不住|忘了|忘记|找不到|没找到|看不到|看不清|不晓得|唔知|唔记得"
    r"|不确定|没注意|没留意|没看|没(?:有)?(?:拿|要|留|收到)?(?:小票|凭条|收据|单据|票据|签购单)"
    r"|(?:小票|凭条|收据|单据|票据|签购单).{0,3}(?:丢|扔|没了|没有|不见)|冇|不懂",
    _FLAGS,
)

# The shop did not hand over what was paid for / the customer did get it.
_KEPT_GOODS = re.compile(
    r"(?<![a-z])(?:didn'?t|did\s+not|never|wouldn'?t|won'?t|couldn'?t)\s+(?:get|receive|take|give|hand|let)"
    r"\s+(?:me\s+)?(?:my\s+|the\s+|any\s+|anything|nothing)?"
    r"|(?<![a-z])(?:kept|keeping|holding)\s+(?:my\s+|the\s+)?(?:goods|stuff|items|things|food|order|purchase|it)"
    r"|(?<![a-z])(?:left|walked\s+out)\s+(?:without|empty)"
    r"|(?<![a-z])took\s+(?:my|the|our|all\s+the)\s+(?:\w+\s+){0,2}back"
    r"|(?:东西|商品|货)(?:被)?(?:拿回去|收回去|收回|退回去|放回去)|(?:拿回去|收回去)了"
    r"|(?<![a-z])no\s+(?:goods|items|food|coffee|order|treatment|service|meal|product|delivery|ticket)"
    r"|(?<![a-z])(?:cancel(?:l?ed)?|refused)\s+(?:my|the|our)\s+(?:appointment|order|booking|service)"
    r"|没(?:有)?(?:拿到|收到|给我|让我拿|拿走|领到|取到)|不(?:给|让)(?:我)?(?:拿|带|东西)|东西(?:没|不)(?:给|拿)"
    r"|(?:商家|店员|收银员|店家|老板|他们)(?:把东西)?(?:扣下|留下|不给)|空手",
    _FLAGS,
)
# Paid again another way after the "failure": whatever the card bought, it bought nothing.
_PAID_OTHERWISE = re.compile(
    r"(?:给了|付了|用了?|改用|换成|又用|再用)(?:现金|微信|支付宝|别的卡|另一张卡|其他卡)|现金(?:付|给|结)了?"
    r"|(?:微信|支付宝|扫码)(?:又)?(?:付|支付|买单|结账)了"
    r"|(?<![a-z])paid\s+(?:in\s+|with\s+|by\s+)?(?:cash|wechat|alipay|another\s+card|a\s+different\s+card|my\s+phone)"
    r"|(?<![a-z])(?:used|gave\s+them)\s+(?:cash|wechat|alipay|another\s+card)",
    _FLAGS,
)
_GOT_GOODS = re.compile(
    r"(?<![a-z])(?:i\s+|we\s+|they\s+|kids\s+)?(?:got|received|took|have)\s+(?:the|my|it|them|everything|their|our|what)(?![a-z])"
    r"|(?<![a-z])(?:they|the\s+shop|cashier)\s+(?:let\s+me\s+take|gave\s+me)"
    r"|拿到了|收到了|拿走了|给我了|东西(?:拿|带)(?:到|走)了|东西我拿了|已经拿",
    _FLAGS,
)

# A question about how long or when, about the money or a refund.
_TIMING_QUESTION = re.compile(
    r"(?<![a-z])how\s+(?:long|many\s+(?:days|weeks))|(?<![a-z])when\s+(?:will|do|does|can|would|should)"
    r"|(?<![a-z])(?:wait|waiting)\s+(?:for\s+)?(?:\d+|four|three|two|a\s+few|months|weeks)"
    r"|多久|多长时间|多少天|几天|什么时候|啥时候|何时|要等|等多|几个月|四个月|多少个?工作日",
    _FLAGS,
)

# Words of an upset customer: the reply starts with an apology.
_UPSET = re.compile(
    r"[!?！？]{2,}|(?<![a-z])(?:wtf|ridiculous|unacceptable|terrible|useless|stupid|angry|furious|scam|"
    r"joke|seriously|annoy|sick\s+of|fed\s+up|so\s+annoying)"
    r"|气死|太过分|搞什么|搞啥|什么玩意|垃圾|骗子|坑人|无语|离谱|凭什么|受不了|投诉你们|快点|烦死",
    re.IGNORECASE,
)
# Shouting: two words in capitals in a row.
_CAPS_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2,}(?![A-Za-z0-9])")
_ACRONYMS = {
    "POS",
    "TID",
    "MID",
    "ATM",
    "RMB",
    "CNY",
    "APP",
    "SMS",
    "RRN",
    "ID",
    "PIN",
    "OK",
    "KFC",
    "IFC",
    "CBD",
}


def _shouting(text: str) -> bool:
    """Three words in capitals, or two of at least four letters: not acronyms."""
    words = [w for w in _CAPS_WORD.findall(text) if w not in _ACRONYMS]
    return len(words) >= 3 or sum(len(w) >= 4 for w in words) >= 2


# A plain yes or no at the start of an answer to a yes/no question.
_YES = re.compile(
    r"^\W*(?:yes|yeah|yep|yup|sure|of\s+course|i\s+did|got\s+it|是的?|对|嗯|有|拿到|收到|好的)(?![a-z])",
    re.IGNORECASE,
)
_NO = re.compile(
    r"^\W*(?:no|nope|nah|not\s+really|never|nothing|没有?|并没有|不是|没拿|没收|啥也没|什么都没)(?![a-z])",
    re.IGNORECASE,
)
# A question, however short: "and now what", "然后呢". A question is never a goodbye.
_QUESTION = re.compile(
    r"[?？]|吗|呢|什么|怎么|多久|几天|哪|为什么|为啥|咋"
    r"|^\W*(?:so\s+|and\s+|ok\s+|okay\s+|but\s+)?(?:what|how|when|why|where|which|who|can|could|will|would"
    r"|is|are|do|does|did|should)(?![a-z])",
    re.IGNORECASE,
)

# A question about a case already opened: "查一下进度", "any update on my case".
# Opening one ("帮我开个工单", "I want to open a ticket") is a complaint, not a status question.
_STATUS = re.compile(
    r"进度|进展|处理到哪|办到哪|(?:查|问)(?:一下|下)?(?:我的)?(?:工单|单子)"
    r"|(?<![a-z])(?:status|progress|update\s+on|any\s+news|check\s+(?:on\s+)?my\s+(?:ticket|case)"
    r"|(?:my|the)\s+(?:ticket|case)\s+number)(?![a-z])",
    re.IGNORECASE,
)

# Any word that says "no" somewhere in the answer. The intent classifier calls fragments such as "just
# that one" a denial with full confidence; a "no" read from the intent needs one of these.
_NEGATION = re.compile(
    r"[不没别未无否错]|n't|(?<![a-z])(?:no|not|never|nope|nah|none|nothing|wrong|incorrect)(?![a-z])",
    re.IGNORECASE,
)

# Another payment, after one was settled: a new complaint.
_ANOTHER = re.compile(
    r"(?<![a-z])(?:another|one\s+more|a\s+second|also\s+(?:had|have)|different)\s+"
    r"(?:payment|charge|one|transaction|problem|issue|complaint)"
    r"|还有一笔|另一笔|另外一笔|又一笔|还有一个|另外.{0,4}也|再(?:查|问)一笔",
    _FLAGS,
)


_SEES_TWO = re.compile(
    r"(?:显示|看到|出现|挂着|列出|有)(?:了)?[^，。,.!?！？;；\s]{0,8}?(?:两笔|2笔|两条|2条|扣了?两次|扣款两次|两次扣款)"
    r"|(?<![a-z])(?:shows?|showing|see|seeing|there\s+are|has|have|lists?)\b[^,.!?;]{0,20}"
    r"(?:twice|two\s+(?:debits|charges|entries|payments|transactions)|both)",
    _FLAGS,
)
# Fear or doubt is not a sighting: "担心扣了两笔", "是不是重复扣了两次", "check if it charged twice". A
# question mark alone is surprise: "my statement lists it twice?".
_DOUBT = re.compile(
    r"怕|担心|是不是|有没有|会不会|不会|(?<![a-z])(?:whether|if|worried|afraid|check|make\s+sure"
    r"|maybe|might|did\s+it|was\s+i)(?![a-z])",
    _FLAGS,
)
_CLAUSE_END = re.compile(r"[，。,.!！;；\n]")


def _sees_two(text: str) -> bool:
    """Whether the customer says they see two entries for one purchase (not that they fear it)."""
    ends = [e.start() for e in _CLAUSE_END.finditer(text)]
    for m in _SEES_TWO.finditer(text):
        start = max([e + 1 for e in ends if e < m.start()], default=0)
        end = min([e for e in ends if e >= m.end()], default=len(text))
        if not _DOUBT.search(text[start : end + 1]):
            return True
    return False


_WITHDRAW = re.compile(
    r"算了|不弄了|不查了|不用了|不需要了|取消|撤销投诉|(?<![a-z])(?:cancel|never\s*mind|forget\s+(?:it|about\s+it)"
    r"|don'?t\s+bother|no\s+need\s+any\s*more)(?![a-z])",
    _FLAGS,
)


@dataclass(frozen=True)
class Signals:
    """What one message says, beside its facts."""

    wants_person: bool
    reports_fraud: bool
    says_unknown: bool
    got_goods: bool | None  # False: the shop kept them; True: the customer has them; None: not said
    asks_timing: bool
    upset: bool
    corrects: bool
    another_payment: bool
    says_yes: bool = False
    says_no: bool = False
    negates: bool = False  # a "no" word anywhere, not only at the start
    asks: bool = False  # the message is a question
    asks_status: bool = False  # about a case already opened
    withdraws: bool = False  # "算了", "never mind": the customer drops the complaint
    sees_two_debits: bool = False  # "app里显示两笔", "shows 129 twice": two entries seen, not feared


def read_signals(text: str) -> Signals:
    """The signals of one message (typed text; button payloads carry none)."""
    if text.startswith("/"):
        return Signals(False, False, False, None, False, False, False, False)
    clean = normalize(text)
    kept = _KEPT_GOODS.search(clean) is not None or _PAID_OTHERWISE.search(clean) is not None
    got = not kept and _GOT_GOODS.search(clean) is not None
    return Signals(
        wants_person=_PERSON.search(clean) is not None,
        reports_fraud=_FRAUD.search(clean) is not None,
        says_unknown=_UNKNOWN.search(clean) is not None,
        got_goods=False if kept else (True if got else None),
        asks_timing=_TIMING_QUESTION.search(clean) is not None,
        upset=_UPSET.search(text) is not None or _shouting(text),
        corrects=has_correction_marker(clean),
        another_payment=_ANOTHER.search(clean) is not None,
        says_yes=_YES.search(clean) is not None,
        says_no=_NO.search(clean) is not None,
        negates=_NEGATION.search(clean) is not None,
        asks=_QUESTION.search(clean) is not None,
        asks_status=_STATUS.search(clean) is not None,
        withdraws=_WITHDRAW.search(clean) is not None,
        sees_two_debits=_sees_two(clean),
    )
