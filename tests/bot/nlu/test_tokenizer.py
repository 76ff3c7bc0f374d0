from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.tokenizer import BilingualTokenizer


def tokens(text: str, tmp_path) -> list[tuple[str, int]]:
    tokenizer = BilingualTokenizer(
        BilingualTokenizer.get_default_config(), LocalModelStorage(tmp_path), Resource("tokenizer")
    )
    return [(t.text, t.start) for t in tokenizer.tokenize(Message(data={"text": text}), "text")]


def test_english_words_without_whitespace_tokens(tmp_path) -> None:
    assert tokens("my card  was charged", tmp_path) == [("my", 0), ("card", 3), ("was", 9), ("charged", 13)]


def test_traditional_chinese_reads_as_simplified_with_original_offsets(tmp_path) -> None:
    traditional = tokens("刷卡失敗 錢被扣了", tmp_path)
    simplified = tokens("刷卡失败 钱被扣了", tmp_path)
    assert traditional == simplified
    assert " " not in [text for text, _ in traditional]


def test_mixed_script_message(tmp_path) -> None:
    words = [text for text, _ in tokens("POS显示失败 but money gone", tmp_path)]
    assert words[0] == "POS" and "失败" in words and words[-2:] == ["money", "gone"]
