"""Shop names as customers say them, matched to the merchant API's names."""

import pytest

from bot.parsing.shop_names import MAX_NAME, brands_in, could_be_a_name, could_be_shop, find_shop_name


@pytest.mark.parametrize(
    "stored, typed",
    [
        ("罗森便利店(徐家汇店)", "那家罗森"),
        ("罗森便利店(徐家汇店)", "Lawson near Xujiahui"),
        ("罗森便利店(徐家汇店)", "luosen"),
        ("全家FamilyMart(南京西路店)", "the family mart on nanjing west rd"),
        ("7-Eleven便利店(国贸店)", "国贸711"),
        ("星巴克(静安嘉里中心店)", "STARBUCKS"),
        ("麦当劳(人民广场店)", "McDonald's at People's Square"),
        ("Wagas沃歌斯(静安寺店)", "wagas"),
        ("老王面馆(五角场店)", "五角场老王面馆"),
    ],
)
def test_a_shop_is_found_by_what_customers_call_it(stored: str, typed: str) -> None:
    assert could_be_shop(stored, typed)


@pytest.mark.parametrize(
    "stored, typed",
    [
        ("罗森便利店(徐家汇店)", "全家"),
        ("全家FamilyMart(南京西路店)", "Lawson"),
        ("麦当劳(人民广场店)", "KFC"),
        ("老王面馆(五角场店)", "x"),
        ("星巴克(静安嘉里中心店)", ""),
    ],
)
def test_another_brand_or_nothing_is_not_the_shop(stored: str, typed: str) -> None:
    assert not could_be_shop(stored, typed)


def test_short_latin_spellings_count_only_as_whole_words() -> None:
    assert brands_in("I paid at KFC") == {"肯德基"}
    assert brands_in("backfcourt") == set()


@pytest.mark.parametrize(
    "text, name",
    [
        ("hi so the card machine at family mart said payment failed", "family mart"),
        ("昨天在罗森刷卡失败了", "罗森"),
        ("在楼下小卖部付的钱 显示失败", "楼下小卖部"),
        ("paid at Wagas on Huaihai road", "Wagas"),
    ],
)
def test_a_shop_named_inside_a_sentence_is_found(text: str, name: str) -> None:
    assert find_shop_name(text) == name


@pytest.mark.parametrize(
    "text, name",
    [
        ("今天中午南门李记面馆吃面 扣了两次", "南门李记面馆"),
        ("刚才楼下理发店剪头发 机器说失败", "楼下理发店"),
        ("前天晚上和朋友海底捞吃火锅", "海底捞"),
    ],
)
def test_a_place_said_between_a_time_and_what_was_bought_is_the_shop(text: str, name: str) -> None:
    assert find_shop_name(text) == name


@pytest.mark.parametrize(
    "text",
    [
        "I paid 45 at 3pm",
        "刷卡失败扣了50",
        "yesterday at 5",
        "昨天下午三点多买了一杯咖啡",
        "今天我买东西刷卡失败",
    ],
)
def test_times_and_amounts_are_not_shop_names(text: str) -> None:
    assert find_shop_name(text) is None


@pytest.mark.parametrize(
    "text, name",
    [
        ("had paomo at lao sun jia near the bell tower yesterday", "lao sun jia near the bell tower"),
        ("the 158 from the pharmacy on Beijing Road still isn't back", "pharmacy on Beijing Road"),
    ],
)
def test_a_place_with_its_landmark_in_lower_case_is_a_shop(text: str, name: str) -> None:
    assert find_shop_name(text) == name


@pytest.mark.parametrize("text", ["paid at the counter near the door", "I paid at night in the city"])
def test_where_in_a_shop_is_not_a_shop(text: str) -> None:
    assert find_shop_name(text) is None


@pytest.mark.parametrize("answer", ["全家", " 南门李记面馆 ", "Lawson on Nanjing Road", "星巴克西湖店"])
def test_a_short_plain_answer_can_be_a_name(answer: str) -> None:
    assert could_be_a_name(answer)


@pytest.mark.parametrize(
    "answer",
    [
        "",
        "   ",
        "在哪里看终端号？",
        "为什么要这个",
        "what is a terminal id",
        "12345",
        "ABC123",
        "---",
        "/affirm",
        "／deny",
        "店" * (MAX_NAME + 1),
    ],
)
def test_a_question_a_code_a_payload_or_a_paragraph_is_not_a_name(answer: str) -> None:
    assert not could_be_a_name(answer)
