"""Repair what Tesseract adds to Chinese text: half-width punctuation, Latin look-alikes, broken brackets.

Runs on each OCR line before the shared cleaner (`clean.py`), which then treats OCR pages like text
pages. Every rule only swaps one character for its look-alike in an unambiguous context; none adds text.
"""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Han plus CJK punctuation: a half-width mark touching one of these belongs to Chinese text.
_CJK = _HAN + r"\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\u201c-\u201d"
_SPACES = r"[ \u00a0\u3000]*"

# Half-width marks Tesseract's chi_sim model prints for their full-width twins.
_FULL_WIDTH = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！"}
_MARK_NEAR_CJK = re.compile(
    rf"(?<=[{_CJK}]){_SPACES}([,:;?!]){_SPACES}|{_SPACES}([,:;?!]){_SPACES}(?=[{_CJK}])"
)
# A full stop after Chinese text, at the end of the line or before more Chinese text.
_PERIOD_AFTER_HAN = re.compile(rf"(?<=[{_HAN}”）])\.(?=$|[{_HAN}“（])")
_DOUBLE_STOP = re.compile(r"[.。]{2,}")
# Parentheses around Chinese text or Chinese numerals: （一）, （第299号）.
_PAREN_CJK = re.compile(rf"[(（]{_SPACES}([^()（）]*[{_HAN}][^()（）]*?){_SPACES}[)）]")
# Year brackets of a document number: 〔2019] 3号, [2019〕3号 → 〔2019〕3号.
_YEAR_BRACKET = re.compile(r"[\[〔［【(（]\s*((?:19|20)\d{2})\s*[\]〕］】)）](?=\s*\d{1,4}\s*号)")
# The last character of a 发文字号 prefix, as chi_sim misreads 函 (or 字) right before the year bracket.
_PREFIX_LOOKALIKES = {"画": "函", "酚": "函", "男": "函", "困": "函", "图": "函", "丽": "函", "国": "函",
                      "生": "函", "宁": "字"}
_PREFIX_BEFORE_YEAR = re.compile(
    rf"[{''.join(_PREFIX_LOOKALIKES)}](?=\s*〔(?:19|20)\d{{2}}〕\s*\d{{1,4}}\s*号)"
)
# 函 closing a title (答复函, 的复函) as chi_sim misreads it; no title or sentence ends in 答复国 or 的复力.
_HAN_END_LOOKALIKES = {"画": "函", "男": "函", "困": "函", "国": "函", "力": "函", "酚": "函", "图": "函"}
_REPLY_LETTER_END = re.compile(
    rf"(?:(?:答{_SPACES}|的{_SPACES})复|答{_SPACES}复{_SPACES}的){_SPACES}[{''.join(_HAN_END_LOOKALIKES)}](?=\s*$)"
)
# A whole 发文字号 line: prefix, year in (mis-read) brackets, number, 号. The closing bracket may come out
# as j, l or |, a 1 right after it as a bracket, and specks may sit before the number. The closing
# bracket must be there: without it a lone ] could be the bracket and the number missing. The opening
# bracket may have left a digit of its own before the year ([52005]), or left nothing (国发2018j 44号:
# then the line must end in 号 after a short prefix), and 号 may be misread as another character
# (7 导, 69 二) when the prefix is as short as a 机关代字 is.
_NUMBER_LINE = re.compile(
    rf"^(?P<prefix>(?:[{_HAN}]{_SPACES}){{1,16}}?)(?P<open>[\[〔［【(（]{{1,2}})?{_SPACES}\d?(?P<year>(?:19|20)\d{{2}})"
    rf"(?:[jlI|\]〕］】)）]{{1,2}}|{_SPACES}[\]〕］】)）]){_SPACES}(?:[.·,'`]{_SPACES})?(?P<seq>[^号\s]{{1,6}}?){_SPACES}"
    rf"(?P<end>号|[{_HAN}])$"
)
# Longest 机关代字 before a misread 号 (国办函, 景农建字: at most a few characters).
_SHORT_PREFIX = 8
_SEQ_LOOKALIKES = str.maketrans({"]": "1", "|": "1", "l": "1", "I": "1", "丨": "1", "O": "0", "o": "0"})
_SEQ_SPECKS = re.compile(r"[?？.·,'`]")
# Specks beside a 成文日期 read as marks (". 2024年9月27日，", "2022年5月20日 /"); not brackets: a
# date in parentheses is a note, not the date line.
_EDGE_SPECKS = rf"[^{_HAN}0-9〇○Oo（）()]*"
# A line that is only a 成文日期 (under a seal chi_sim reads 年 as 千, 日 as 提, 晶, 目 …): four digits,
# one character or two (the wide 年 read as 和车), a month (a speck after it may read as a character:
# 4 上 月), 月, a day, one character (or a speck read as one, then 日). Nothing else is printed that way.
# A Chinese-numeral year may hold zeros read as G (二OG四).
_DATE_LINE = re.compile(
    rf"^{_EDGE_SPECKS}((?:19|20)\d{{2}}){_SPACES}[{_HAN}](?:{_SPACES}(?!月)[{_HAN}])?{_SPACES}(\d{{1,2}}){_SPACES}"
    rf"(?:(?!月)[{_HAN}]{_SPACES})?月"
    rf"{_SPACES}(\d{{1,2}})"
    rf"{_SPACES}(?:[{_HAN}]{_SPACES}日|[{_HAN}]){_EDGE_SPECKS}$"
)
_EDGE_SPECKS_RUN = re.compile(rf"^{_EDGE_SPECKS}|{_EDGE_SPECKS}$")
# A line that is only a 成文日期 whose digits a seal spoiled: a one read as 工 ] | l, a seven as 了, a
# four as +, a mark pushed into the year (202+4年, 2020人年), the 日 after the day lost (2020年8月了).
_DATE_DIGIT_LOOKALIKES = str.maketrans({"工": "1", "]": "1", "|": "1", "l": "1", "I": "1", "丨": "1",
                                        "了": "7", "+": "4"})
_LOOKALIKE_DIGITS = "0-9工\\]|lI丨了+"
_SPOILED_DATE_LINE = re.compile(
    rf"^(?P<y>(?:19|20)[0-9+人]{{2,3}})年(?P<m>[{_LOOKALIKE_DIGITS}]{{1,2}})月"
    rf"(?P<d>[{_LOOKALIKE_DIGITS}]{{1,2}})日?$"
)
_NOT_NUMERAL = rf"(?![〇零一二三四五六七八九十])[{_HAN}]"
# A 成文日期 in Chinese numerals whose 年 or 日 a seal spoiled (一九九六年六月二十九晶).
_CN_DATE_SHAPE = re.compile(
    rf"^([〇零一二三四五六七八九Oo0○G]{{4}})(?:{_NOT_NUMERAL}){{1,2}}([一二三四五六七八九十]{{1,3}})月"
    rf"([一二三四五六七八九十]{{1,3}}){_NOT_NUMERAL}$"
)
# The same in Chinese numerals, Tesseract spacing the zeros apart: 二 OO 四年一月十六日.
_CN_DATE_LINE = re.compile(
    r"^[〇零一二三四五六七八九Oo0○G]{4}年[一二三四五六七八九十]{1,3}月[一二三四五六七八九十]{1,3}日$"
)
# The 抄送 label opening a 版记 line, its 送 misread (抄关：, 抄浴：); 抄报 is a label of its own.
# A year of the 2000s in Chinese numerals whose two zeros Tesseract split into more round marks
# (二 O 〇 OO 五年): between a leading 二 and a last digit, four numerals leave room for two zeros.
_SPLIT_ZEROS_YEAR = re.compile(r"^(二)[Oo0○〇G]{3,}([一二三四五六七八九])(?=年[一二三四五六七八九十]{1,3}月)")
# A year in Chinese numerals read with look-alikes: 九 as 丸, the zeros as 口 or 日 (一丸八一年, 二日口五年),
# on a line that is only a date (its 年, 月 and 日 where they belong).
_CN_YEAR_LOOKALIKES = str.maketrans({"丸": "九", "口": "〇", "日": "〇"})
_CN_SPOILED_YEAR = re.compile(
    r"^([一二][〇零一二三四五六七八九丸口日]{3})(?=年[一二三四五六七八九十]{1,3}月[一二三四五六七八九十]{1,3}日$)"
)
_CC_LABEL = re.compile(rf"^(\s*抄){_SPACES}(?!报)[{_HAN}]{_SPACES}(?=[:：])")
# Its 抄 misread instead (护送：, 钞送：, 挫送：): any one character before 送： but those of the labels
# that are not 抄送 (主送, 报送, 分送, 呈送, 发送, 印送).
_CC_LABEL_FIRST = re.compile(rf"^(\s*)(?![主报分呈发印抄送])[{_HAN}]{_SPACES}(?=送{_SPACES}[:：])")
# A 分类 line with its 分 misread (作类：B): a line of nothing but one character, 类, a colon and a code;
# or with its 类 misread (分天：A).
_CATEGORY_LABEL_FIRST = re.compile(
    rf"^(\s*)(?!分)[{_HAN}]{_SPACES}(?=类{_SPACES}[:：]{_SPACES}[A-D][0-9lI|]?{_SPACES}$)"
)
_CATEGORY_LABEL_SECOND = re.compile(
    rf"^(\s*分){_SPACES}(?![类送])[{_HAN}](?={_SPACES}[:：]{_SPACES}[A-D][0-9lI|]?{_SPACES}$)"
)
# A digit spaced off the capital after it in a Chinese line (5 G基站): 5G is one word.
_SPACE_DIGIT_CAPITAL = re.compile(rf"(?<=[0-9]){_SPACES}(?=[A-Z][{_HAN}])")
# An opening 〈, 《, 【 or 〔 closed by a parenthesis is a parenthesis: 各县〈市、区 ), 《此件公开发布 ),
# 各县〔市、区 ) (a 〔 closes with 〕 round a 发文字号's year).
_NOT_BRACKET = "[^〈〉《》〔〕()（）]"
_ANGLE_PAREN = re.compile(rf"[〈《【〔]{_SPACES}({_NOT_BRACKET}*[{_HAN}]{_NOT_BRACKET}*?){_SPACES}[)）]")
# A bracket read twice at the start of a parenthesis (各县〔（市、区）): no text opens two at once.
_DOUBLE_OPENING = re.compile(rf"[〔［【\[(（]{_SPACES}(?=[(（])")
# A speck read as a full stop after a Chinese mark (园区各企业，.管委会各部门), or as a closing
# angle bracket that no opening one precedes (联系人：覃飞萍；》联系电话).
_STOP_AFTER_MARK = re.compile(rf"(?<=[，、；：,;:]){_SPACES}[.·]{_SPACES}(?=[{_HAN}])")
_UNOPENED_ANGLE = re.compile(rf"^([^《〈]*?[，、；：,;:]){_SPACES}[》〉]{_SPACES}(?=[{_HAN}])")
# Spaces round a full-width parenthesis in a value joined from lines (陕西省 （自治区…） 人民政府).
_SPACED_PAREN = re.compile(rf"{_SPACES}([（）]){_SPACES}")
_SPACE_BETWEEN_HAN = re.compile(rf"(?<=[{_HAN}]){_SPACES}(?=[{_HAN}])")
# Tesseract spaces every word apart, also a Latin word from the Chinese beside it (5G 基站): GB/T 9704
# text prints none there (the cleaner already drops the spaces between Chinese and digits).
_SPACE_LATIN_HAN = re.compile(rf"(?<=[A-Za-z]){_SPACES}(?=[{_HAN}])|(?<=[{_HAN}]){_SPACES}(?=[A-Za-z])")
_DIGIT = r"[0-9]"
# O/o between digits is a zero; l, I or | between digits is a one.
_ZERO_LOOKALIKE = re.compile(rf"(?<={_DIGIT})[Oo](?={_DIGIT}|[Oo]*{_DIGIT})")
_ONE_LOOKALIKE = re.compile(rf"(?<={_DIGIT})[lI|](?={_DIGIT})")
# A proposal's or document's number ending in a 1 read as a bracket or bar: 第274] 号 is 第2741号.
_LAST_ONE_LOOKALIKE = re.compile(rf"(?<=第{_DIGIT})({_DIGIT}{{0,3}})[\]lI|]{_SPACES}(?=号)")
# Marks no Chinese line may start with (避头点): at an OCR line's start they are specks (。、景民函…).
LINE_START_MARKS = "。，、；"
_LINE_START_SPECKS = re.compile(rf"^[\s{LINE_START_MARKS}]+(?=\S)")
# The colon of 联系人： read before its 人 (boxes of a re-read line overlap: 联系:人崔德淑).
_CONTACT_COLON_FIRST = re.compile(rf"联{_SPACES}系{_SPACES}([:：]){_SPACES}人(?!民)")
# A page-number footer whose dashes read as the numeral 一 (1一, | 一2一, _ 6- 一): dashes around it.
_FOOTER_DASHES = re.compile(r"^[\s|丨_.·?？\-—–－一]*(?P<page>\d{1,3})[\s|丨_.·?？\-—–－一]*$")
# A dash between two years read as the numeral 一 (规划（2018一2035年）): no year runs into a numeral.
_YEAR_DASH = re.compile(r"(?<=(?:19|20)\d{2})\s*一\s*(?=(?:19|20)\d{2})")
# O, o, 0 or ○ among Chinese numerals (二O二五年) is the numeral 〇.
_CN_NUMERALS = "一二三四五六七八九十〇"
_CN_ZERO_LOOKALIKE = re.compile(rf"(?<=[{_CN_NUMERALS}])[Oo0○](?=[{_CN_NUMERALS}Oo0○])|"
                                rf"(?<=[{_CN_NUMERALS}][Oo0○])[Oo0○](?=[{_CN_NUMERALS}])")


def _full_width_mark(match: re.Match[str]) -> str:
    return _FULL_WIDTH[match.group(1) or match.group(2)]


LOOKALIKES_FILE = Path(__file__).resolve().parent / "data" / "ocr_lookalikes.toml"


@functools.lru_cache(maxsize=2)
def load_swaps(path: str = str(LOOKALIKES_FILE)) -> tuple[tuple[re.Pattern[str], str], ...]:
    """The [[swap]] rules of `ingest/data/ocr_lookalikes.toml` as (pattern, replacement) pairs."""
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    swaps = []
    for swap in data.get("swap", []):
        words = "|".join(re.escape(word) for word in swap["before"].split("|"))
        # Tesseract may space a mark off the word before it (督查宝 ，).
        pattern = re.compile(rf"({words})[{re.escape(swap['misread'])}](?={_SPACES}(?:{swap['after']}))")
        swaps.append((pattern, rf"\g<1>{swap['correct']}"))
    return tuple(swaps)


def _repair_number_line(text: str) -> str:
    """景府发 [2024j ] 号 → 景府发〔2024〕1号; a line whose number is still not digits stays as read."""
    match = _NUMBER_LINE.match(text.strip())
    if not match:
        return text
    seq = _SEQ_SPECKS.sub("", match["seq"].translate(_SEQ_LOOKALIKES))
    if not (seq.isdigit() and len(seq) <= 4):
        return text
    prefix = re.sub(r"\s+", "", match["prefix"])
    if match["end"] != "号" and len(prefix) > _SHORT_PREFIX:
        return text
    if not match["open"] and (match["end"] != "号" or len(prefix) > _SHORT_PREFIX):
        return text
    return f"{prefix}〔{match['year']}〕{seq}号"


def _spoiled_date(compact: str) -> str | None:
    """2022年4月1日 from a date line read as 2022年4月工日, 202+4年+月26日 or 2020年8月了; else None."""
    match = _SPOILED_DATE_LINE.match(compact)
    if not match or (compact.endswith("日") and not re.search(r"[^0-9年月日]", compact)):
        return None  # no date, or one read right
    year = re.sub(r"[^0-9]", "", match["y"])
    month, day = (match[part].translate(_DATE_DIGIT_LOOKALIKES) for part in ("m", "d"))
    if len(year) != 4 or not (month.isdigit() and day.isdigit()):
        return None
    if not (1 <= int(month) <= 12 and 1 <= int(day) <= 31):
        return None
    return f"{year}年{int(month)}月{int(day)}日"


def _repair_brackets(text: str) -> str:
    """Parentheses read as other brackets or twice, and specks read as a stop after a mark."""
    text = _DOUBLE_OPENING.sub("", text)
    text = _STOP_AFTER_MARK.sub("", text)
    text = _ANGLE_PAREN.sub(r"（\1）", text)
    return _PAREN_CJK.sub(r"（\1）", text)


def repair_marks(text: str) -> str:
    """A value joined from OCR lines (a 主送 list or a title broken over two) with its brackets, specks
    and numbers repaired as `repair_ocr_line` repairs them inside one line: 各县〔 + （市、区）,
    各企业， + .管委会, 第274 + ] 号."""
    text = _LAST_ONE_LOOKALIKE.sub(r"\g<1>1", _repair_brackets(text))
    return _SPACED_PAREN.sub(r"\1", text)


def repair_ocr_line(text: str) -> str:
    """One OCR line with Chinese punctuation, digits and numerals restored; spaces are left to `clean.py`."""
    text = _YEAR_BRACKET.sub(r"〔\1〕", text)
    text = _PREFIX_BEFORE_YEAR.sub(lambda m: _PREFIX_LOOKALIKES[m.group(0)], text)
    text = _repair_number_line(text)
    # Again: the number-line repair may only now have made the 〔year〕 the look-alike rule needs.
    text = _PREFIX_BEFORE_YEAR.sub(lambda m: _PREFIX_LOOKALIKES[m.group(0)], text)
    text = _REPLY_LETTER_END.sub(lambda m: re.sub(r"\s+", "", m.group(0))[:-1] + "函", text)
    # Swaps match words, which Tesseract spaces apart; the cleaner drops those spaces anyway.
    joined = _SPACE_BETWEEN_HAN.sub("", text)
    for pattern, replacement in load_swaps():
        joined, swapped = pattern.subn(replacement, joined)
        if swapped:
            text = joined
    text = _MARK_NEAR_CJK.sub(_full_width_mark, text)
    text = _repair_brackets(_UNOPENED_ANGLE.sub(r"\1", text))
    text = _DATE_LINE.sub(r"\1年\2月\3日", text)
    compact = re.sub(r"\s+", "", text)
    text = _spoiled_date(_EDGE_SPECKS_RUN.sub("", compact)) or text
    core = _EDGE_SPECKS_RUN.sub("", compact)  # a speck before the date line (-一丸九七年四月八日)
    year = _CN_SPOILED_YEAR.match(core)
    if year and (mended := year.group(1).translate(_CN_YEAR_LOOKALIKES)) != year.group(1):
        compact = text = mended + core[4:]
    if _SPLIT_ZEROS_YEAR.match(compact):
        compact = _SPLIT_ZEROS_YEAR.sub(r"\1〇〇\2", compact)
        text = compact
    if _CN_DATE_SHAPE.match(core := _EDGE_SPECKS_RUN.sub("", compact)) or _CN_DATE_LINE.match(core):
        compact = core
    if _CN_DATE_SHAPE.match(compact):
        compact = _CN_DATE_SHAPE.sub(r"\1年\2月\3日", compact)
        text = compact
    if _CN_DATE_LINE.match(compact):
        text = re.sub(r"[Oo0○G]", "〇", compact)
    text = _LINE_START_SPECKS.sub("", text)
    text = _CONTACT_COLON_FIRST.sub(r"联系人\1", text)
    text = _CC_LABEL.sub(r"\1送", text)
    text = _CC_LABEL_FIRST.sub(r"\1抄", text)
    text = _CATEGORY_LABEL_FIRST.sub(r"\1分", text)
    text = _CATEGORY_LABEL_SECOND.sub(r"\1类", text)
    text = _PERIOD_AFTER_HAN.sub("。", text)
    text = _DOUBLE_STOP.sub("。", text) if "。" in text else text
    for _ in range(2):  # overlapping runs such as 2OO5 need a second pass
        text = _ZERO_LOOKALIKE.sub("0", text)
        text = _ONE_LOOKALIKE.sub("1", text)
        text = _CN_ZERO_LOOKALIKE.sub("〇", text)
    text = _LAST_ONE_LOOKALIKE.sub(r"\g<1>1", text)
    text = _SPACE_LATIN_HAN.sub("", text)
    text = _SPACE_DIGIT_CAPITAL.sub("", text)
    if "一" in text and (footer := _FOOTER_DASHES.match(text)):
        text = f"— {footer['page']} —"
    return _YEAR_DASH.sub("—", text)
