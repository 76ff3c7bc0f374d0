"""What a message says about the conversation, in any tone, case or mix of languages."""

import pytest

from bot.dialogue.signals import read_signals


@pytest.mark.parametrize(
    "text",
    [
        "PUT ME THROUGH TO A REAL PERSON",
        "STOP ASKING. PERSON.",
        "can i talk to a real person",
        "I want to speak with someone from your team",
        "human please",
        "agent",
        "转人工",
        "我要人工客服！！",
        "叫你们人工出来 我不跟机器说",
        "找个真人来",
        "能不能让个人跟我说",
    ],
)
def test_a_person_asked_for_in_any_tone(text: str) -> None:
    assert read_signals(text).wants_person


@pytest.mark.parametrize(
    "text",
    [
        "the person at the counter said it failed",
        "收银机吐了一张单子 上面写着冲正不成功 请人工处理",
        "收银员叫我自己找客服",
        "人工智能也太笨了",
        "/request_human",  # a button payload is the intent's job, not a phrase
    ],
)
def test_a_person_mentioned_is_not_a_person_asked_for(text: str) -> None:
    assert not read_signals(text).wants_person


@pytest.mark.parametrize(
    "text",
    [
        "I was never in that city",
        "my card never left my wallet",
        "I didn't make this payment",
        "my card was stolen yesterday",
        "lost my card on the metro",
        "这笔不是我刷的",
        "卡一直在我身上 怎么会有消费",
        "我的卡丢了",
        "被盗刷了",
        "我从来没去过那家店",
        "there's a 300 on it I certainly did not authorise",
        "I left my card at the bar and now there's a charge",
        "卡落在出租车上了 今天多了一笔",
    ],
)
def test_a_debit_the_customer_does_not_recognise(text: str) -> None:
    assert read_signals(text).reports_fraud


@pytest.mark.parametrize(
    "text",
    [
        "小票丢了",
        "I lost the receipt",
        "the machine said failed",
        "扣了两次",
        "the payment didn't make it through",
    ],
)
def test_a_lost_receipt_or_a_failure_is_not_fraud(text: str) -> None:
    assert not read_signals(text).reports_fraud


@pytest.mark.parametrize(
    "text",
    [
        "不知道",
        "找不到",
        "没有小票",
        "记不清了",
        "no idea",
        "I don't have the receipt",
        "can't find it",
        "idk",
    ],
)
def test_i_dont_know_in_its_forms(text: str) -> None:
    assert read_signals(text).says_unknown


@pytest.mark.parametrize(
    "text, got",
    [
        ("the shop kept the goods", False),
        ("they wouldn't give me the coffee", False),
        ("没拿到东西", False),
        ("商家不给我东西", False),
        ("我给了现金 但是卡也扣了", False),
        ("I paid cash instead", False),
        ("no treatment, they cancelled", False),
        ("yes I got everything", True),
        ("东西拿到了", True),
        ("the machine said failed", None),
    ],
)
def test_whether_the_shop_handed_over_the_goods(text: str, got: bool | None) -> None:
    assert read_signals(text).got_goods is got


@pytest.mark.parametrize(
    "text", ["要等四个月？？", "how long will it take", "多久能退回来", "when will I get it back"]
)
def test_questions_about_timing(text: str) -> None:
    assert read_signals(text).asks_timing


@pytest.mark.parametrize("text", ["great thanks", "TID ABC12345", "the POS at KFC said failed", "好的谢谢"])
def test_calm_messages_are_not_upset(text: str) -> None:
    assert not read_signals(text).upset


@pytest.mark.parametrize("text", ["WHERE IS MY MONEY", "this is ridiculous!!", "搞什么 气死了", "快点"])
def test_upset_messages(text: str) -> None:
    assert read_signals(text).upset


@pytest.mark.parametrize(
    "text", ["他们没给我", "nope", "I didn't get anything", "never got it", "不对", "wrong one", "并未收到"]
)
def test_a_no_somewhere_in_the_answer(text: str) -> None:
    assert read_signals(text).negates


@pytest.mark.parametrize("text", ["就那一次", "just the one", "the cab ride", "4141", "那个师傅", "ok"])
def test_fragments_without_a_no(text: str) -> None:
    assert not read_signals(text).negates


@pytest.mark.parametrize(
    "text",
    [
        "app里显示两笔",
        "账单上有两笔380",
        "银行短信出现了两条扣款",
        "my app shows two charges",
        "I see it twice on my statement",
        "my statement lists 88 twice??",
    ],
)
def test_two_entries_seen(text: str) -> None:
    assert read_signals(text).sees_two_debits


@pytest.mark.parametrize(
    "text",
    [
        "店员说网络不好又刷了一遍 担心扣了两笔 账单上只有一条",
        "帮我确认下有没有重复扣款两次",
        "是不是扣了两笔？",
        "can you check if it charged me twice",
        "they swiped twice, worried I paid both",
    ],
)
def test_fearing_two_debits_is_not_seeing_them(text: str) -> None:
    assert not read_signals(text).sees_two_debits


@pytest.mark.parametrize(
    "text", ["so what now", "然后呢", "what happens next", "那我要做什么", "ok and?", "钱什么时候到"]
)
def test_questions_however_short(text: str) -> None:
    assert read_signals(text).asks


@pytest.mark.parametrize("text", ["ok thanks bye", "好的 明白了", "谢谢", "great"])
def test_closings_are_no_questions(text: str) -> None:
    assert not read_signals(text).asks


@pytest.mark.parametrize(
    "text",
    [
        "你好 我想查一下进度",
        "处理到哪一步了",
        "any news on my case?",
        "what's the status",
        "查一下我的工单",
        "can you check on my ticket",
    ],
)
def test_questions_about_a_case_already_opened(text: str) -> None:
    assert read_signals(text).asks_status


@pytest.mark.parametrize(
    "text",
    ["刷卡失败扣了钱", "the payment failed", "我想投诉", "帮我开个工单 刷卡失败", "I want to open a ticket"],
)
def test_complaints_are_not_status_questions(text: str) -> None:
    assert not read_signals(text).asks_status
