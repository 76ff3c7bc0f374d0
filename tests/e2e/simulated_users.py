"""Customers who answer badly on purpose: unhelpful, angry, off-topic, mixed-language, contradictory.

Each simulated conversation is an opening and then messages drawn at random from these kinds, with no
regard for what the bot asked. The texts are written here from the kinds' descriptions, not taken
from the training data or from any evaluation set.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

OPENINGS = (
    "刷卡失败但是扣钱了",
    "pos机显示失败 钱没了",
    "my card was charged but the machine said declined",
    "钱被吞了！！",
    "payment failed?? money gone",
    "刷了两次 都说失败 扣了两次钱",
    "hello",
    "你好",
    "the terminal said error but my bank shows the charge",
    "我要投诉",
)
KINDS: dict[str, tuple[str, ...]] = {
    "unhelpful": (
        "不知道",
        "忘了",
        "no idea",
        "idk",
        "?",
        "嗯",
        "hmm",
        "whatever",
        "随便",
        "你猜",
        "...",
        "找不到",
        "no receipt",
        "I threw it away",
        "记不清了",
        "没注意",
        "not sure",
        "没有",
    ),
    "angry": (
        "WHERE IS MY MONEY",
        "你们这什么破系统",
        "this is ridiculous!!",
        "搞什么啊 快点",
        "STOP ASKING ME",
        "垃圾机器人",
        "I want my money back NOW",
        "凭什么扣我钱",
        "useless bot",
    ),
    "off_topic": (
        "今天天气怎么样",
        "what's the weather like",
        "你是谁",
        "are you a bot?",
        "讲个笑话",
        "how do I open an account",
        "我想办信用卡",
        "what time is it",
        "你们几点下班",
    ),
    "mixed": (
        "我在 family mart 刷 card failed 了",
        "the POS 显示 失败 but money gone",
        "扣了 钱 yesterday",
        "昨天 evening 在 罗森",
        "大概 50 块 I think",
        "store 的 machine 坏了",
    ),
    "contradictory": (
        "昨天下午三点 不对 是前天",
        "it was 50, no wait 60",
        "128块 不是 138",
        "this morning, or maybe last night",
        "终端号 1234 5678 哦不对",
        "是罗森 不对 是全家",
    ),
    "facts": (
        "昨天晚上8点左右",
        "大概两点多",
        "45块6",
        "88 yuan",
        "终端号 1234 5678",
        "罗森",
        "some shop near my office",
        "尾号 1234",
        "card ending 9876",
        "yesterday around 3pm",
        "前天",
        "3 days ago",
        "二十块",
        "TID AB12CD34",
        "在星巴克",
        "at the 7-11",
        "一百二十八块五",
    ),
    "social": ("谢谢", "thanks", "ok", "好的", "hi", "/affirm", "/deny", "yes", "no"),
}
WEIGHTS = {
    "unhelpful": 4,
    "angry": 2,
    "off_topic": 2,
    "mixed": 2,
    "contradictory": 2,
    "facts": 4,
    "social": 2,
}


@dataclass
class SimulatedUser:
    """One conversation's customer; reproducible from its seed."""

    seed: int

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def opening(self) -> str:
        return self._random.choice(OPENINGS)

    def next_message(self) -> str:
        kinds = list(WEIGHTS)
        kind = self._random.choices(kinds, weights=[WEIGHTS[k] for k in kinds])[0]
        return self._random.choice(KINDS[kind])
