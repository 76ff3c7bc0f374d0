"""Shop names as customers say them: "那家罗森", "Lawson near Xujiahui", "luosen" for 罗森便利店(徐家汇店).

Two jobs, both pure: find a shop named inside a free-text message (`find_shop_name`), and tell
whether a name a customer typed can mean a stored merchant name (`could_be_shop`). A brand is
recognised in Chinese, English and pinyin through one alias table; branch and street words count
only when the customer gave no brand.
"""

from __future__ import annotations

import re
import unicodedata

from bot.parsing.normalize import normalize

# Each brand's spellings; the first is the canonical key. Lower case, without spaces.
_BRANDS: tuple[tuple[str, ...], ...] = (
    ("罗森", "lawson", "luosen"),
    ("全家", "familymart", "family mart", "quanjia"),
    ("7-11", "711", "7eleven", "7-eleven", "seveneleven", "seven eleven", "7 eleven", "柒一拾壹"),
    ("便利蜂", "bianlifeng", "bianli feng"),
    ("美宜佳", "meiyijia"),
    ("好德", "haode", "hode"),
    ("可的", "kedi"),
    ("快客", "quik", "kuaike"),
    ("联华", "lianhua", "hualian"),
    ("华联", "hualian"),
    ("物美", "wumart", "wumei"),
    ("永辉", "yonghui"),
    ("盒马", "hema", "freshippo"),
    ("大润发", "rt-mart", "rtmart", "darunfa"),
    ("沃尔玛", "walmart", "wal-mart", "woerma"),
    ("家乐福", "carrefour", "jialefu"),
    ("山姆", "sam's club", "sams club", "sam's", "sams", "shanmu"),
    ("开市客", "costco"),
    ("麦德龙", "metro"),
    ("欧尚", "auchan"),
    ("屈臣氏", "watsons", "quchenshi"),
    ("星巴克", "starbucks", "xingbake"),
    ("瑞幸", "luckin", "ruixing"),
    ("喜茶", "heytea", "hey tea", "xicha"),
    ("奈雪", "nayuki", "naixue"),
    ("蜜雪冰城", "mixue", "mixuebingcheng"),
    ("麦当劳", "mcdonald", "mcdonalds", "mcdonald's", "maidanglao", "金拱门", "mcd", "maccas"),
    ("肯德基", "kfc", "kendeji"),
    ("必胜客", "pizza hut", "pizzahut", "bishengke"),
    ("汉堡王", "burger king", "burgerking", "hanbaowang"),
    ("赛百味", "subway", "saibaiwei"),
    ("海底捞", "haidilao", "hai di lao"),
    ("西贝", "xibei"),
    ("优衣库", "uniqlo", "youyiku"),
    ("宜家", "ikea", "yijia"),
    ("无印良品", "muji"),
    ("名创优品", "miniso", "mingchuangyoupin"),
    ("苹果", "apple store", "apple"),
    ("华为", "huawei"),
    ("小米", "xiaomi", "mi store"),
    ("中石化", "中国石化", "sinopec", "zhongshihua"),
    ("中石油", "中国石油", "petrochina", "zhongshiyou"),
    ("壳牌", "shell"),
    ("万达", "wanda"),
    ("迪卡侬", "decathlon", "dikanong"),
    ("百联", "bailian"),
    ("太平洋咖啡", "pacific coffee"),
    ("costa", "咖世家"),
    ("tims", "tim hortons", "tim hortons coffee", "天好咖啡"),
    ("西西弗", "sisyphe"),
    ("苏宁", "suning"),
    ("华润万家", "vanguard", "huarunwanjia", "crv"),
    ("周大福", "chow tai fook", "ctf", "zhoudafu"),
    ("周生生", "chow sang sang", "zhoushengsheng"),
    ("老凤祥", "laofengxiang", "lao feng xiang"),
    ("悦诗风吟", "innisfree"),
    ("耐克", "nike"),
    ("阿迪达斯", "adidas"),
    ("zara", "飒拉"),
    ("h&m", "hm"),
    ("希尔顿", "hilton"),
    ("全季", "ji hotel", "quanji"),
    ("如家", "home inn", "homeinn", "rujia"),
    ("汉庭", "hanting"),
    ("好利来", "holiland", "haolilai"),
    ("百果园", "pagoda", "baiguoyuan"),
    ("85度c", "85c", "85 degrees", "85°c"),
    ("宝岛眼镜", "baodao", "formosa optical"),
    ("外婆家", "waipojia", "grandma's home", "grandmas home"),
    ("红星美凯龙", "red star macalline", "macalline"),
    ("小龙坎", "xiaolongkan"),
    ("大参林", "dashenlin"),
    ("老百姓大药房", "laobaixing"),
    ("国大药房", "guoda"),
    ("1点点", "yidiandian", "1dd", "一点点"),
    ("首汽约车", "shouqi"),
    ("上汽大众", "saic volkswagen", "volkswagen", "vw"),
    ("兰州拉面", "兰州牛肉拉面", "lanzhou"),
    ("木屋烧烤", "muwu"),
    ("city'super", "citysuper", "city super"),
    ("ole'", "ole"),
    ("wagas", "沃歌斯"),
    ("滴滴", "didi"),
    ("美团", "meituan"),
)
# Words around a name that are not the name: "那家罗森", "the Lawson near ...", "罗森便利店".
_DEICTIC = re.compile(
    r"^(?:那家|这家|那个|这个|一家|那间|这间|在|就是|是|去|the|a|that|this)\s*", re.IGNORECASE
)
_GENERIC = re.compile(
    r"便利店|超市|商店|专卖店|旗舰店|门店|分店|店|咖啡|餐厅|饭店|商场|广场|有限公司|公司|药房|药店|加油站"
    r"|convenience\s*store|supermarket|store|shop|cafe|coffee|restaurant|mall|outlet|branch|market",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(r"[\s()\[\]（）【】·・,，.。'’\-_/]+")
# "在罗森买的", "at the 7-11 on ..." : a shop named in a sentence, when no brand is known.
_ZH_AT_SHOP = re.compile(r"在([\u4e00-\u9fffA-Za-z0-9]{2,12}?)(?:买|付|刷|消费|结账|吃|买单|扫|购|加油|充)")
# "昨天中午万达那家面馆吃面": after a time word, the words before what was bought or done are the place.
_ZH_TIME_THEN_SHOP = re.compile(
    r"(?:昨晚|昨天|今天|今早|今晚|前天|大前天|刚才|刚刚|上午|下午|中午|晚上|早上|傍晚|半夜)"
    r"(?:上午|下午|中午|晚上|早上|傍晚)?(?:我们?|和朋友|跟朋友)?(?:去|到)?"
    r"([\u4e00-\u9fffA-Za-z0-9]{2,12}?)(?:吃|喝|买|剪|洗|做|加油|充值|消费|刷卡|付款|结账|打车|坐车)"
)
# A time ("三点多"), or an action ("买东西") where the name would be: no name was said.
_NOT_A_ZH_NAME = re.compile(
    r"点|左右|时候|分钟|小时|[零一二三四五六七八九十两\d]+[号日]|^[买吃喝付刷去在到用给把被要想]"
)
_EN_AT_SHOP = re.compile(
    r"(?<![a-z])(?:at|in|from)\s+(?:the\s+|a\s+)?((?:[A-Z0-9][\w'&-]*\s?){1,4})(?=\s|[,.!?]|$)"
)
# "at lao sun jia near the bell tower", "from the pharmacy on Beijing Road": a place with its landmark.
_EN_AT_PLACE = re.compile(
    r"(?<![a-z])(?:at|from)\s+(?:the\s+|a\s+)?(?P<name>(?!(?:night|noon|home|work|lunch|dinner|least|first|last"
    r"|once|around|about|counter|till|checkout|register|cashier|desk|door|entrance|machine|terminal|the|a|an)\b)"
    r"[a-z][a-z'&]*(?:\s+[a-z][a-z'&]*){0,3})"
    r"\s+(?P<where>(?:near|on|in|by|opposite)\s+(?:the\s+)?[a-z][a-z']*(?:\s+[a-z][a-z']*){0,2})",
    re.IGNORECASE,
)
_NOT_A_PLACE_WORD = re.compile(
    r"\s+(?:yesterday|today|tonight|this|last|and|but|still|is|isn'?t|was|when|then|around|at|for)\b", re.I
)
MAX_NAME = 60
# A question is not a shop's name.
_QUESTION = re.compile(
    r"[?？]|吗|呢|什么|怎么|为什么|哪里|(?<![a-z])(?:how|what|why|where|when)(?![a-z])", re.I
)
# "12345", "ABC123": a try at a terminal ID (or nothing), not a shop's name.
_CODE_LIKE = re.compile(r"[\W\d_]*|(?=.*\d)[A-Za-z0-9\s\-]+")


def fold(text: str) -> str:
    """A name folded for comparison: NFKC, Simplified, lower case, no spaces or brackets."""
    return _SEPARATORS.sub("", normalize(unicodedata.normalize("NFKC", text)).casefold())


def _spelling_pattern(spelling: str) -> str:
    letters = [re.escape(ch) for ch in spelling.casefold() if not ch.isspace() and ch not in "-'"]
    body = r"[\s'\-]?".join(letters)
    return rf"(?<![a-z0-9]){body}(?![a-z0-9])" if spelling.isascii() else body


_BRAND_PATTERNS = tuple(
    (spellings[0], re.compile("|".join(_spelling_pattern(s) for s in spellings), re.IGNORECASE))
    for spellings in _BRANDS
)


def _mentions(text: str) -> list[tuple[str, int, int]]:
    clean = normalize(text)
    found = []
    for brand, pattern in _BRAND_PATTERNS:
        match = pattern.search(clean)
        if match:
            found.append((brand, match.start(), match.end()))
    return found


def brands_in(text: str) -> set[str]:
    """The brands a text names, by their canonical key."""
    return {brand for brand, _, _ in _mentions(text)}


def find_shop_name(text: str) -> str | None:
    """A shop named inside a message: a known brand as written, or "在X买" / "at X"; else None."""
    clean = normalize(text)
    mentions = _mentions(clean)
    if mentions:
        _, start, end = min(mentions, key=lambda m: m[1])
        return clean[start:end].strip()[:MAX_NAME]
    place = _EN_AT_PLACE.search(clean)
    if place and len(_core(place.group("name"))) >= 2:
        where = _NOT_A_PLACE_WORD.split(place.group("where"))[0].strip()
        return f"{place.group('name')} {where}"[:MAX_NAME]
    after_time = _ZH_TIME_THEN_SHOP.search(clean)
    if after_time and _NOT_A_ZH_NAME.search(after_time.group(1)):
        after_time = None
    match = _ZH_AT_SHOP.search(clean) or after_time or _EN_AT_SHOP.search(clean)
    if match:
        name = match.group(1).strip()
        # "在超市刷卡", "at a shop": a kind of shop is not a name to search by.
        if len(_core(name)) >= 2 and not re.fullmatch(r"[\d:.\s]+(?:am|pm)?", name, re.IGNORECASE):
            return name[:MAX_NAME]
    return None


def _core(text: str) -> str:
    return fold(_GENERIC.sub(" ", _DEICTIC.sub("", normalize(text).strip())))


def could_be_shop(stored: str, typed: str) -> bool:
    """Whether a name the customer typed can mean the stored merchant name."""
    if not stored or not typed:
        return False
    typed_brands = brands_in(typed)
    if typed_brands:
        return bool(typed_brands & brands_in(stored))
    a, b = fold(stored), _core(typed)
    if len(b) < 2:
        return False
    if b in a or a in b:
        return True
    # Branch or street words: most of what the customer typed appears in the stored name.
    if not b.isascii():
        shared = sum(1 for ch in set(b) if ch in a)
        return shared >= max(2, round(len(set(b)) * 0.6))
    words = [w for w in re.split(r"[^a-z0-9]+", normalize(typed).casefold()) if len(w) >= 3]
    return bool(words) and sum(w in a for w in words) >= max(1, round(len(words) * 0.6))


def could_be_a_name(answer: str) -> bool:
    """Whether a whole answer to "which shop?" can be the shop's name: short, not a question, not a
    try at a code, not a typed button payload."""
    text = answer.strip()
    return (
        0 < len(text) <= MAX_NAME
        and not _QUESTION.search(text)
        and not _CODE_LIKE.fullmatch(text)
        and not text.startswith(("/", "\uff0f"))
    )
