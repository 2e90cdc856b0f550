"""GB/T 9704-2012 elements from a clean document: 发文字号, 分类, title, 主送, body, 署名, 成文日期, 抄送 …

Rules read the document's structure (masthead, number line, centred large title, the salutation
ending in a colon, a right-hand signature block over a date) and the patterns in `ingest/data/`.
A field that is not printed stays empty; nothing is inferred from another field's text.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from ingest import consensus, lexicon
from ingest.clean import DATE_LINE, HEADING, SENTENCE_END, CleanDocument, Paragraph
from ingest.ocr_clean import repair_marks
from ingest.record import Attachment, Contact, DocumentRecord
from ingest.settings import Settings

_OPEN = "〔[［【(（"
_CLOSE = "〕]］】)）"
DOC_NUMBER = re.compile(
    rf"^(?P<prefix>[\u4e00-\u9fff]{{1,16}}?)\s*[{re.escape(_OPEN)}]\s*(?P<year>(?:19|20)\d{{2}})\s*"
    rf"[{re.escape(_CLOSE)}]\s*第?\s*(?P<seq>\d{{1,5}})\s*号$"
)
# 国令第707号 style: an order number without a year.
ORDER_NUMBER = re.compile(r"^(?P<prefix>[\u4e00-\u9fff]{1,8}?)第\s*(?P<seq>\d{1,5})\s*号$")
_CATEGORY_LABEL = r"^(?:分类|类别|办理类别|答复类别|办理结果类别)\s*[:：]?\s*"
# The colon is optional: OCR often drops it ("分类 B"), reads the digit 1 as l, I or | (分类：Al) and
# a speck before the code as a mark (分类：.C3).
CATEGORY = re.compile(_CATEGORY_LABEL + r"[.．·,，、]?\s*(?P<code>[A-Da-d][0-9lI|]?)(?![A-Za-z0-9])")
_CODE_DIGIT = str.maketrans("lI|", "111")
# The 分类 label itself, whatever follows it: a scan may leave the code unreadable (分类：也).
CATEGORY_LABEL = re.compile(_CATEGORY_LABEL + r"\S?\s*$")
# A 发文字号 line whose parts a scan damaged: a short line with a bracketed year (景公字[20191 2),
# or with its 机关代字 lost (〔2025〕8号).
NUMBER_SHAPED = re.compile(
    rf"^[\u4e00-\u9fff]{{0,16}}\s*[{re.escape(_OPEN)}]\s*(?:19|20)\d{{2}}\S{{0,6}}\s*\S{{0,3}}$"
)
# A 发文字号 a scan garbled past the brackets (景诗办函 -20211 14号): a short line with a year, ending in 号.
DAMAGED_NUMBER = re.compile(r"^\S{0,16}(?:19|20)\d{2}\S{0,10}号$")
# The longest line, in characters, a scan's header may hold unread in the 分类 position (关列：所).
_UNREAD_HEADER_LINE = 8
# 尊敬的, also with its middle character misread on a scan (尊族的).
SALUTATION_PREFIX = re.compile(r"^(?:尊敬的|尊[\u4e00-\u9fff]的(?=\S{2}))")
# On a scan both characters before 的 may be misread (章黎的何艳英委员): two characters and 的 before
# a personal name with its role can only be the salutation.
# A scanned 尊敬的 misread (草敬的) or with a speck read into it (尊和敬的) before a name and role.
OCR_SALUTATION = re.compile(
    r"^(?:[\u4e00-\u9fff]{2}|尊[\u4e00-\u9fff]敬)的(?=[\u4e00-\u9fff]{2,4}(?:等)?(?:委员|代表)$)"
)
# Specks before or after a signature read as marks (。景川市…, …委员会、四 is another matter).
_EDGE_MARKS = re.compile(r"^[^\u4e00-\u9fff]+|[^\u4e00-\u9fff）)]+$")
_LEADING_DASHES = re.compile(r"^[一丨]+")
ROLE_SUFFIX = re.compile(r"(?:等)?(?:委员|代表)$")
PROPOSAL = re.compile(
    r"(?:关于|对)*(?P<session>[\u4e00-\u9fff]{0,12}?(?:届|次)[\u4e00-\u9fff]{0,10}?会议)?\s*第\s*(?P<number>\d{1,5})\s*号\s*"
    r"(?:提案|建议|议案)"
)
PROPOSAL_WORD = re.compile(r"提案|建议|议案")
# A title answering a proposal names it by number, quotes it, or calls itself its answer:
# 第059号提案 / 《关于…的建议》 / 所提建议的答复.
REPLY_TITLE = re.compile(
    r"第\s*\d+\s*号\s*(?:提案|建议|议案)|(?:提案|建议|议案)\s*》|(?:提案|建议|议案)的?(?:答复|复函)"
)
LIST_ITEM = re.compile(r"^\d{1,2}\s*[.．、]")
# The opening sentence of a reply names the proposal: 您提出的第013号建议 / 的建议（第103号）.
OPENING_NUMBER = re.compile(r"第\s*(?P<number>\d{1,5})\s*号")
FORM_NUMBER = re.compile(r"(?:提案|建议|议案)编号\s*第?\s*(?P<number>\d{1,5})\s*号?")
# The issuing body that opens a title: everything before its year, 关于, 对, 转发 or 印发.
TITLE_ISSUER = re.compile(
    r"^(?P<issuer>[\u4e00-\u9fff（）()]{2,40}?)(?=(?:19|20)\d{2}\s*年|关于|对|转发|印发)"
)
SESSION = re.compile(
    r"(?P<session>(?:全国|[省市区县州])?(?:政协)?[一二三四五六七八九十]+届(?:全国)?(?:人大|政协)?"
    r"[一二三四五六七八九十]+次会议)"
)
# The 抄送 line; a scan may read its colon as a semicolon (抄送；市政府办公室…).
CC = re.compile(r"^抄\s*送\s*[:：;；]\s*(?P<list>.+)$")
CONTACT = re.compile(
    r"联系人(?:及联系电话|和联系电话|及电话)?\s*[:：]?\s*(?P<name>[\u4e00-\u9fff]{2,4}?)\s*[，,、；;\s]*"
    r"(?:(?:联系)?电话\s*[:：]?\s*)?(?P<phone>1\d{10}|(?:\d{3,4}[-－—])?\d{7,8})"
)
ATTACHMENT_NOTE = re.compile(r"^附\s*件\s*(?P<num>\d*)\s*[:：]\s*(?P<rest>.*)$")
ATTACHMENT_LABEL = re.compile(r"^附\s*件\s*(?P<num>\d*)\s*[:：.．]?$")
# The 印发 line of the 版记: "XX办公室  2025年6月5日印发".
ISSUE_LINE = re.compile(
    r"(?:\d{4}年\d{1,2}月\d{1,2}日|[〇零一二三四五六七八九]{4}年.{1,3}月.{1,3}日)\s*印\s*发$")
CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
             "六": 6, "七": 7, "八": 8, "九": 9}
ARABIC_DATE = re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日")
CHINESE_DATE = re.compile(r"(?P<y>[〇零○一二三四五六七八九]{4})年(?P<m>[一二三四五六七八九十]{1,3})月"
                          r"(?P<d>[一二三四五六七八九十]{1,3})日")
# A note printed under the date: （此件公开发布）, （本文有删减）.
NOTE = re.compile(r"^[（(][^（()）]{2,20}[)）]$")
ISSUER_SPLIT = re.compile(r"[\s\u3000、，,]+")


@dataclass
class DocumentMetadata:
    """The GB/T 9704 elements found in one document, plus its main text."""

    doc_number: str | None = None
    category: str | None = None
    title: str | None = None
    addressee: str | None = None
    issuer: str | None = None
    issuers: list[str] = field(default_factory=list)
    date: str | None = None
    year: int | None = None
    doc_type: str | None = None
    proposal_number: str | None = None
    session: str | None = None
    proposer: str | None = None
    cc: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    contact: Contact | None = None
    body: str = ""


@lru_cache(maxsize=8)
def load_doc_types(path: str) -> tuple[tuple[str, str], ...]:
    """(ending, 文种) pairs, longest ending first."""
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    pairs = [(ending, entry["name"]) for entry in data.get("type", []) for ending in entry.get("endings", [])]
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


@lru_cache(maxsize=8)
def _issuer_file(path: str) -> dict:
    """The issuer file's tables, read once per process (aliases, prefixes, bodies, 主送 lines)."""
    with open(path, "rb") as handle:
        return tomllib.load(handle)


@lru_cache(maxsize=8)
def load_issuer_aliases(path: str) -> tuple[dict[str, str], dict[str, str], tuple[str, ...]]:
    """(aliases, document-number prefixes, endings of organisation names)."""
    data = _issuer_file(path)
    suffixes = tuple(data.get("organisation", {}).get("endings", []))
    return dict(data.get("aliases", {})), dict(data.get("prefixes", {})), suffixes


@lru_cache(maxsize=8)
def load_copied_bodies(path: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(levels, bodies): the bodies 抄送 lines often name (`[copied]` of the issuer file), each local
    one with every level (省, 市, 县 …) in front."""
    copied = _issuer_file(path).get("copied", {})
    levels = tuple(copied.get("levels", []))
    local = [level + body for level in levels for body in copied.get("local", [])]
    return levels, tuple(dict.fromkeys([*local, *copied.get("national", [])]))


def copied_bodies_for(entries: list[str], path: str) -> list[str]:
    """The often-copied bodies at the levels this 抄送 list's own entries open with (市政协…, 市政府…).

    证政府督查室 is one edit from 市-, 县-, 区- … 政府督查室 alike; a list whose other entries are 市
    bodies settles it. A list opening with no level keeps every level.
    """
    levels, bodies = load_copied_bodies(path)
    used = {entry[0] for entry in entries if entry[:1] in levels}
    if not used:
        return list(bodies)
    return [body for body in bodies if body[0] not in levels or body[0] in used]


@lru_cache(maxsize=8)
def load_addressed_lines(path: str) -> tuple[str, ...]:
    """主送 lines printed on document after document (`[addressed]` of the issuer file)."""
    return tuple(_issuer_file(path).get("addressed", {}).get("lines", []))


def _is_organisation(text: str, suffixes: tuple[str, ...]) -> bool:
    """An issuing body's name: short, no 关于, ends like 人民政府, 局, 委员会 …"""
    return len(text) <= 30 and "关于" not in text and text.endswith(suffixes)


def canonical_doc_number(text: str) -> str | None:
    """景府办〔2025〕3号 from any bracket variant ([2025], (2025), ［2025］); None if it is not one."""
    compact = re.sub(r"\s+", "", text)
    match = DOC_NUMBER.match(compact)
    if match:
        return f"{match['prefix']}〔{match['year']}〕{match['seq']}号"
    match = ORDER_NUMBER.match(compact)
    if match and len(match["prefix"]) <= 4:
        return f"{match['prefix']}第{match['seq']}号"
    return None


def _cn_number(text: str) -> int:
    """十二 → 12, 二十三 → 23, 三十 → 30 (months and days)."""
    if "十" not in text:
        return CN_DIGITS[text]
    tens, _, units = text.partition("十")
    return (CN_DIGITS[tens] if tens else 1) * 10 + (CN_DIGITS[units] if units else 0)


def parse_date(text: str) -> str | None:
    """ISO date from 2025年6月6日 or 二〇二五年六月六日; None when the text holds no valid date."""
    compact = re.sub(r"\s+", "", text)
    match = ARABIC_DATE.search(compact)
    if match:
        year, month, day = int(match["y"]), int(match["m"]), int(match["d"])
    else:
        match = CHINESE_DATE.search(compact)
        if not match:
            return None
        try:
            year = int("".join(str(CN_DIGITS[ch]) for ch in match["y"]))
            month, day = _cn_number(match["m"]), _cn_number(match["d"])
        except KeyError:
            return None
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def doc_type_of(title: str | None, doc_types: tuple[tuple[str, str], ...]) -> str | None:
    """The 文种 a title ends with."""
    if not title:
        return None
    stripped = title.rstrip("。 ）)")
    for ending, name in doc_types:
        if stripped.endswith(ending):
            return name
    return None


def split_list(text: str) -> list[str]:
    return [part.strip(" 。.;；") for part in re.split(r"[，,、；;]", text) if part.strip(" 。.;；")]


def _is_big(para: Paragraph, body_size: float) -> bool:
    return para.size > 1.15 * body_size


def _centred(para: Paragraph) -> bool:
    width = para.x1 - para.x0
    return abs(para.centre_offset) <= max(1.5 * para.size, 0.05 * para.page_width) and width < 0.95 * (
        para.page_width
    )


# A masthead is set larger than this many times the body size (22 pt titles are 1.375 times the 16 pt
# body; mastheads 25 pt and up, and a scan's size estimate may come out a few percent small).
_MASTHEAD_SIZE = 1.45
# A first line ending in 文件 (…管理委员会文件) is the masthead from this size: a long name is set
# smaller to fit the width, and no title ends in 文件.
_FILE_MASTHEAD_SIZE = 1.3


def _unread_header_line(para: Paragraph, text: str, body_size: float) -> bool:
    """A scanned header line in the 发文字号 or 分类 position that reads as neither: garbled, not a title."""
    compact = re.sub(r"\s+", "", text)
    if DAMAGED_NUMBER.match(compact) and len(compact) <= 26:
        return True
    return len(compact) <= _UNREAD_HEADER_LINE and not _is_big(para, body_size) and not _centred(para)


def _is_masthead(
    paras: list[Paragraph], index: int, body_size: float, suffixes: tuple[str, ...] = ()
) -> bool:
    """发文机关标志: the largest line on top, followed by the 发文字号 or 分类 line (or named …文件).

    The first line of a document, set this large, naming a body (…人民政府办公室) is one too, whatever
    follows it: a title names its subject and ends in its 文种.
    """
    para = paras[index]
    compact = re.sub(r"\s+", "", para.text)
    if compact.endswith("文件") and para.size >= _FILE_MASTHEAD_SIZE * body_size:
        return True
    if para.size < _MASTHEAD_SIZE * body_size:
        return False
    if index == 0 and suffixes and _is_organisation(compact, suffixes):
        return True
    following = paras[index + 1].text if index + 1 < len(paras) else ""
    # 分类 and 发文字号 may share the line under it, as cells (GB/T 9704 letter format).
    return any(canonical_doc_number(cell) or CATEGORY_LABEL.match(cell) or CATEGORY.match(cell)
               or NUMBER_SHAPED.match(cell) for cell in following.split("\t"))


# Joint issuers may stack their names in the 发文机关标志, one line each (国务院 / 中央军委).
_MASTHEAD_MAX_LINES = 3


def _masthead_lines(paras: list[Paragraph], index: int, body_size: float, suffixes: tuple[str, ...]) -> int:
    """How many paragraphs from `index` the 发文机关标志 takes: one, or the stacked names of joint
    issuers, each set as large, over the 发文字号 or 分类; 0 when there is none. A first line that
    names a body is a masthead by itself only when no stack of large names over the 发文字号
    follows it (国务院 / 中央军委 set in two sizes, over 国函〔1996〕95号)."""
    named_alone = False
    for count in range(1, _MASTHEAD_MAX_LINES + 1):
        last = index + count - 1
        if last >= len(paras) or paras[last].size < _FILE_MASTHEAD_SIZE * body_size:
            break
        if _is_masthead(paras, last, body_size):
            return count
        named_alone = named_alone or (count == 1 and _is_masthead(paras, last, body_size, suffixes))
    return 1 if named_alone else 0


@dataclass
class _Header:
    masthead: str | None = None
    doc_number: str | None = None
    category: str | None = None
    title: str | None = None
    title_lines: list[str] = field(default_factory=list)
    addressee: str | None = None
    body_start: int = 0
    title_index: int | None = None
    number_line: bool = False  # a 发文字号 line was there, read or not


def _category_code(match: re.Match[str]) -> str:
    return match["code"].translate(_CODE_DIGIT).upper()


def _read_header_cells(head: _Header, text: str, ocr: bool = False) -> bool:
    """Read a header row whose cells are each a 发文字号 or a 分类; False if any cell is something else.

    On a scan, a short cell read as neither (分实；呈 for 分类：B) leaves its field empty, as long as
    another cell of the row is one.
    """
    cells = [cell.strip() for cell in text.split("\t") if cell.strip()]
    numbers = [canonical_doc_number(cell) if len(cell) <= 40 else None for cell in cells]
    categories = [CATEGORY.match(cell) for cell in cells]
    read = [bool(n or c) for n, c in zip(numbers, categories, strict=True)]
    short = [len(re.sub(r"\s+", "", cell)) <= _UNREAD_HEADER_LINE for cell in cells]
    unread_ok = ocr and any(read) and all(ok or small for ok, small in zip(read, short, strict=True))
    if not all(read) and not unread_ok:
        return False
    for number, category in zip(numbers, categories, strict=True):
        if number and head.doc_number is None:
            head.doc_number = number
        elif category and head.category is None:
            head.category = _category_code(category)
    return True


def _read_header(
    doc: CleanDocument, ocr: bool = False, suffixes: tuple[str, ...] = (),
    doc_types: tuple[tuple[str, str], ...] = (), addressed: Sequence[str] = (),
) -> _Header:
    """Walk the first page's top elements in GB/T 9704 order, stopping at the first body paragraph.

    `addressed`: 主送 lines printed document after document (a scan's may have lost its last line).
    """
    head = _Header()
    paras = doc.paragraphs
    limit = min(len(paras), 14)
    index = 0
    while index < limit:
        para = paras[index]
        if para.page > 2:
            break
        text = para.text
        if "\t" in text and head.title is None and _read_header_cells(head, text, ocr):
            # 分类 left and 发文字号 right on one baseline (GB/T 9704 allows both on the number line).
            index += 1
            continue
        number = canonical_doc_number(text) if len(text) <= 40 else None
        if head.doc_number is None and number and head.title is None:
            head.doc_number = number
            index += 1
            continue
        cat = CATEGORY.match(text)
        if head.category is None and cat and head.title is None:
            head.category = _category_code(cat)
            index += 1
            continue
        if head.title is None and (CATEGORY_LABEL.match(text) or NUMBER_SHAPED.match(text) or (
            ocr and _unread_header_line(para, text, doc.body_size)
        )):
            # The line is where the 分类 or 发文字号 goes but its value did not survive the scan:
            # the field stays empty, and the header goes on to the title.
            head.number_line = head.number_line or not CATEGORY_LABEL.match(text)
            index += 1
            continue
        stacked = _masthead_lines(paras, index, doc.body_size, suffixes) if (
            head.title is None and head.masthead is None and head.doc_number is None) else 0
        if stacked:
            # One line per printed line: joint issuers' names stacked, whether set as one paragraph or not.
            head.masthead = "\n".join(
                line for part in paras[index : index + stacked] for line in part.printed_lines)
            index += stacked
            continue
        if head.title is None and _is_big(para, doc.body_size) and _centred(para):
            head.title, head.title_lines, head.title_index = text, list(para.printed_lines), index
            index += 1
            continue
        numbered = head.doc_number or head.number_line
        if head.title is None and index + 1 < limit and numbered and _centred(para):
            head.title, head.title_lines, head.title_index = text, list(para.printed_lines), index
            index += 1
            continue
        break
    if head.title is None:
        # No title-styled line: the header ends where the number or category line was found.
        head.body_start = index
        return head
    if ocr and doc_types:
        index = _continue_ocr_title(head, paras, index, doc_types)
    if len(head.title_lines) > 1 and head.title_lines[-1].endswith(("：", ":")):
        # The 主送 line joined to the title above it (a scan's font sizes are rough): a title never
        # ends in a colon.
        salutation = head.title_lines.pop()
        head.title = head.title[: -len(salutation)] if head.title.endswith(salutation) else head.title
        head.addressee = SALUTATION_PREFIX.sub("", salutation[:-1]).strip() or None
        head.body_start = index
        return head
    if index < len(paras):
        para = paras[index]
        text = para.text
        consumed = 1
        following = paras[index + 1].text if index + 1 < len(paras) else ""
        broken = following.endswith(("：", ":")) and (text.endswith(("、", "，")) or len(following) <= 8)
        if (ocr and (broken or _MISREAD_COLON.sub("", text + following) in addressed)
                and paras[index + 1].x0 <= doc.left_margin + 0.6 * paras[index + 1].size):
            # A long 主送 list that OCR broke into two paragraphs: after a list separator, or with
            # only its last characters (…各直属机 / 构：) on the second line, or a standard 主送 line
            # whose colon was lost too (…各直属机 / 构); flush left, as the body's indented first
            # line is not.
            text, consumed = text + paras[index + 1].text, 2
        flush_left = para.x0 <= doc.left_margin + 0.6 * para.size
        if ocr and flush_left and not text.endswith(("：", ":")):
            text = _ocr_salutation(text, paras[index + consumed] if index + consumed < len(paras) else None,
                                   doc, suffixes, addressed) or text
        if (
            text.endswith(("：", ":"))
            and len(text) <= 400
            and flush_left
            and not ATTACHMENT_NOTE.match(text)
        ):
            head.addressee = SALUTATION_PREFIX.sub("", text[:-1]).strip() or None
            index += consumed
    head.body_start = index
    return head


# A title runs to three lines; a scan may break it into paragraphs of its lines.
_TITLE_MAX_PARAGRAPHS = 3


def _continue_ocr_title(
    head: _Header, paras: list[Paragraph], index: int, doc_types: tuple[tuple[str, str], ...]
) -> int:
    """A scanned title broken into paragraphs, joined again; returns the index after its last part.

    A scan's font sizes are rough: the lines of one title (国务院办公厅 / 关于…工作时 / 所提问题…的函)
    can come out sizes apart and be set as paragraphs of their own, the title then cut after its
    first. A GB/T 9704 title ends in its 文种: while it does not, the centred paragraphs under it
    that end it in one are its lines. A title already ending in a 文种, or no such ending in reach,
    stays as read.
    """
    if doc_type_of(head.title, doc_types) is not None:
        return index
    parts: list[Paragraph] = []
    for para in paras[index : index + _TITLE_MAX_PARAGRAPHS - 1]:
        if not _centred(para) or para.text.endswith(("：", ":")):
            break
        parts.append(para)
        joined = (head.title or "") + "".join(part.text for part in parts)
        if doc_type_of(joined, doc_types) is not None:
            head.title = joined
            head.title_lines += [line for part in parts for line in part.printed_lines]
            return index + len(parts)
    return index


# A 主送 line this long may be matched to a standard one; a person's name never is.
_LONG_ADDRESSEE = 12

# What OCR makes of the colon closing a 主送 line: a comma, a semicolon, a full stop, or nothing.
_MISREAD_COLON = re.compile(r"[，,;；.。、]$")


# The last entry of a 主送 list naming a group of bodies: 市政府各部门, 局属各单位, 市直各预算单位.
_GROUP_ENTRY = re.compile(r"各[\u4e00-\u9fff]{1,6}$")


def _ocr_salutation(
    text: str, following: Paragraph | None, doc: CleanDocument, suffixes: tuple[str, ...],
    addressed: Sequence[str] = (),
) -> str | None:
    """A scanned 主送 line whose colon was misread or lost, given back its colon; None if it is not one.

    It is the flush-left paragraph under the title, at most two lines, and the paragraph after it
    starts indented as a body paragraph does (GB/T 9704: two characters). A salutation to a person
    ends in their role (委员, 代表); a list of bodies ends in a body's name (…人民政府, …体育总局) or a
    group of them (…市政府各部门), or is a standard 主送 line of `addressed` whose last line the scan
    lost (…各直属机 for …各直属机构).
    """
    if following is None or following.x0 < doc.left_margin + 1.2 * following.size:
        return None
    stripped = _MISREAD_COLON.sub("", text)
    if len(stripped) > 120 or stripped.endswith(SENTENCE_END) or HEADING.match(stripped):
        return None
    last_entry = re.split(r"[、，,；;]", stripped)[-1]
    if ROLE_SUFFIX.search(stripped) or (stripped != text and ISSUER_SPLIT.search(stripped)) or (
        suffixes and _is_organisation(last_entry, suffixes)
    ) or _GROUP_ENTRY.search(last_entry):
        return stripped + "："
    known = _known_addressee(stripped, addressed) if len(stripped) >= _LONG_ADDRESSEE else None
    return known + "：" if known else None


# Quotation marks OCR makes of dust; a title quotes in pairs.
_QUOTE_PAIRS = (("“", "”"), ("‘", "’"))


def _paired_quotes(title: str) -> str:
    """`title` without quotation marks that have no partner (a speck read as “ before or inside it)."""
    for opening, closing in _QUOTE_PAIRS:
        if title.count(opening) != title.count(closing):
            title = title.replace(opening, "").replace(closing, "")
    return title.replace('"', "") if title.count('"') % 2 else title


@dataclass
class _Tail:
    body_end: int
    issuers: list[str]
    date: str | None
    date_index: int | None
    year: int | None = None  # a scanned date line's legible year when its month or day is not


def _is_right_block(para: Paragraph, doc: CleanDocument) -> bool:
    return para.x0 > doc.left_margin + 4 * para.size and para.lines <= 3


def _is_signature_line(para: Paragraph, doc: CleanDocument) -> bool:
    """A 署名 line sits on the right, names a body and is neither a list item nor a sentence."""
    text = para.text
    return (
        _is_right_block(para, doc)
        and not HEADING.match(text)
        and not LIST_ITEM.match(text)
        and not text.endswith(SENTENCE_END)
        and not ATTACHMENT_NOTE.match(text)
    )


def _date_cell(text: str, ocr: bool) -> str:
    """The date of a line that is a 成文日期; on a scan, also one beside seal debris (四\t2018年7月9日)."""
    if not ocr or "\t" not in text:
        return text
    cells = [cell for cell in text.split("\t") if cell.strip()]
    dates = [cell for cell in cells if DATE_LINE.match(cell)]
    debris = [cell for cell in cells if cell not in dates]
    return dates[0] if len(dates) == 1 and all(len(cell.strip()) <= 2 for cell in debris) else text


# A scanned 成文日期 whose year a seal or thin strokes spoiled (一万万七年四月八日), month and day read.
_SPOILED_YEAR_DATE = re.compile(
    r"^(?P<y>[^\s年月日]{3,6})年(?P<m>[一二三四五六七八九十]{1,3}|\d{1,2})月(?P<d>[一二三四五六七八九十]{1,3}|\d{1,2})"
    r"(?:日|[^\s\d年月日一二三四五六七八九十])$"
)
# A year in a 发文字号: 国办发〔1997〕11号.
_NUMBER_YEAR = re.compile(r"〔((?:19|20)\d{2})〕")
# A scanned 成文日期 whose year reads and whose month or day does not (2023年D月19日): still the date
# line. Its 日 must be there: a table's cell (2019年3月底前) is no date line.
_LEGIBLE_YEAR_DATE = re.compile(r"^(?P<y>(?:19|20)\d{2})年[^\s年月日]{1,2}月[^\s年月日]{1,2}日$")


def _date_of_number_year(text: str, number_year: str | None) -> str | None:
    """The ISO date of a scanned date line whose year is partly unread, in the 发文字号's year.

    A document is dated in the year its number carries (a December letter numbered in January is
    the rare exception); the year's characters that were read as numerals must all agree with
    it, and at least two must have been read (一万万七 for 1997: 一 and 七 agree); a year of three
    is the number's year without its first digit. The 日 after the day may be misread too
    (一九九文年二月五昌).
    """
    # Specks read beside the line (022年4月18日 /) are no part of it.
    match = _SPOILED_YEAR_DATE.match(re.sub(r"\s+", "", text).strip("/|\\.,，。·-_'\"“”"))
    if not match or not number_year:
        return None
    if len(match["y"]) > len(number_year):
        # The thin circles of 〇〇 broken into more marks than two (二O〇GO五 for 二〇〇五): only a year
        # whose middle digits are zeros, read as zero-like marks between its first and last numeral.
        middle = match["y"][1:-1]
        if number_year[1:-1].strip("0") or not all(ch in _ZERO_MARKS for ch in middle):
            return None
        if CN_DIGITS.get(match["y"][0]) != int(number_year[0]) or \
                CN_DIGITS.get(match["y"][-1]) != int(number_year[-1]):
            return None
        return _date_of_parts(number_year, match["m"], match["d"])
    agreeing = 0
    # Three characters: the year's first was lost at the edge of a seal or the page (022年4月18日).
    for seen, digit in zip(match["y"], number_year[-len(match["y"]) :], strict=True):
        value = CN_DIGITS.get(seen, int(seen) if seen.isdigit() else None)
        if value is None:
            continue
        if str(value) != digit:
            return None
        agreeing += 1
    if agreeing < 2:
        return None
    return _date_of_parts(number_year, match["m"], match["d"])


# Marks Tesseract makes of a Chinese numeral zero's thin circle.
_ZERO_MARKS = frozenset("〇○Oo0GQD")


def _date_of_parts(year: str, month: str, day: str) -> str | None:
    """The ISO date of a year in digits and a month and day in digits or Chinese numerals."""
    m, d = (int(part) if part.isdigit() else _cn_number(part) for part in (month, day))
    return parse_date(f"{year}年{m}月{d}日")


# A scanned date year this far from the 发文字号's, one digit off it, is a misread digit (2044 under
# 〔2024〕); one year apart is a letter numbered in one year and dated in the next.
_FAR_YEARS = 2
_ISSUE_YEAR = re.compile(r"((?:19|20)\d{2})年\d{1,2}月\d{1,2}日印发")


def _date_in_number_year(date: str, number: str, text: str) -> str:
    """A scanned 成文日期 whose year is one digit and years away from the 发文字号's, in the number's year.

    A seal sits over the date, not the number. The 印发 date of the 版记, where printed, has the
    last word: a read year it agrees with stays.
    """
    year = _NUMBER_YEAR.search(number)
    if not year:
        return date
    read, printed = date[:4], year.group(1)
    one_digit = sum(a != b for a, b in zip(read, printed, strict=True)) == 1
    if not one_digit or abs(int(read) - int(printed)) < _FAR_YEARS:
        return date
    if read in _ISSUE_YEAR.findall(re.sub(r"\s+", "", text)):
        return date
    return printed + date[4:]


def _read_tail(doc: CleanDocument, start: int, ocr: bool = False, number: str | None = None) -> _Tail:
    """Find the main document's 成文日期, the signature above it, and where the body ends.

    On a scan, a date line whose year was partly lost takes the year of the 发文字号 `number`.
    """
    paras = doc.paragraphs
    date_index = None
    date = None
    legible_year = None
    year = _NUMBER_YEAR.search(number or "")
    for i in range(start, len(paras)):
        para = paras[i]
        date_text = _date_cell(para.text, ocr)
        # A date cell beside debris sits where the debris's left edge does not tell.
        right = _is_right_block(para, doc) or (date_text != para.text and para.lines <= 3)
        if not right:
            continue
        date = parse_date(date_text) if DATE_LINE.match(date_text) else None
        if date is None and ocr:
            date = _date_of_number_year(date_text, year.group(1) if year else None)
        if date:
            date_index = i
            break
        legible = _LEGIBLE_YEAR_DATE.match(re.sub(r"\s+", "", date_text)) if ocr else None
        if legible:
            # The signature above is found as under any date line; the date itself stays unknown.
            date_index, legible_year = i, int(legible["y"])
            break
    if date_index is None:
        end = len(paras)
        for i in range(start, len(paras)):
            if ATTACHMENT_NOTE.match(paras[i].text) or CC.match(paras[i].text):
                end = i
                break
        return _Tail(end, [], None, None)
    signature: list[str] = []
    i = date_index - 1
    while i >= start and _is_signature_line(paras[i], doc) and len(signature) < 4:
        signature.insert(0, paras[i].text)
        i -= 1
    end = i + 1
    for j in range(start, end):
        if ATTACHMENT_NOTE.match(paras[j].text):
            end = j
            break
    issuers = [name for line in signature for name in ISSUER_SPLIT.split(line) if name]
    return _Tail(end, issuers, date, date_index, None if date else legible_year)


def _is_imprint(text: str) -> bool:
    """版记 lines (抄送, 印发) close the document; they belong to no attachment."""
    return bool(CC.match(text) or ISSUE_LINE.search(text.replace("\t", "")))


def _title_before_table(heading: Paragraph) -> str:
    """An attachment's heading without a table's first row run on into it: a scan's table row (its
    rules read as bars, | 序号 | 县市区 |, or its cells tab-joined) is never part of a title."""
    lines = list(itertools.takewhile(lambda line: "|" not in line and "\t" not in line,
                                     heading.printed_lines or [heading.text]))
    return "".join(lines) if lines else heading.text


def _attachment_text(paras: list[Paragraph], j: int) -> tuple[str, int]:
    parts: list[str] = []
    while j < len(paras) and not ATTACHMENT_LABEL.match(paras[j].text):
        if not _is_imprint(paras[j].text):
            parts.append(paras[j].text)
        j += 1
    return "\n".join(parts), j


def _attachments(doc: CleanDocument, start: int) -> list[Attachment]:
    """Attachments printed after the signature: a 附件N label line, its title, then its text.

    A document that 印发 a plan or rules prints it after the date with only its own title; that is
    an attachment with no label.
    """
    paras = doc.paragraphs
    found: list[Attachment] = []
    i = start
    # A note after the date ((本文有删减)), or a seal's mark read on a line of its own (加).
    while i < len(paras) and (NOTE.match(paras[i].text) or _is_debris(paras[i].text)):
        i += 1
    if (i < len(paras) and _is_big(paras[i], doc.body_size) and _centred(paras[i])
            and not _is_imprint(paras[i].text)):
        title = paras[i].text
        text, i = _attachment_text(paras, i + 1)
        found.append(Attachment(label="", title=title, text=text))
    while i < len(paras):
        label = ATTACHMENT_LABEL.match(paras[i].text)
        if not label or paras[i].x0 > doc.left_margin + 2 * paras[i].size:
            i += 1
            continue
        heading = paras[i + 1] if i + 1 < len(paras) else None
        if heading is None or not (_is_big(heading, doc.body_size) or _centred(heading)):
            # An attachment's title is set as a title; a label over plain text is a cross-reference.
            i += 1
            continue
        # A title never ends in a comma; on a scan a speck after it reads as one.
        title = _title_before_table(heading).rstrip("，,、")
        text, j = _attachment_text(paras, i + 2)
        printed_label = re.sub(r"\s+", "", paras[i].text).rstrip(":：.．")
        found.append(Attachment(label=printed_label, title=title, text=text))
        i = j
    return found


# One title in a 附件 note: "附件：1.XX表" and the "2.YY表" lines under it, or one title unnumbered.
_NOTE_ITEM = re.compile(r"^(?:(?P<num>\d{1,2})\s*[.．、]\s*)?(?P<title>\S.*?)[。.]?$")
_NOTE_NEXT_ITEM = re.compile(r"^\d{1,2}\s*[.．、]")
# A heading may be this many characters per misread one off the title its 附件 note prints.
_NOTED_CHARS_PER_EDIT = 6


def _noted_titles(paras: Sequence[Paragraph]) -> dict[str, str]:
    """The titles the 附件 note under the body names, by number ("" for an unnumbered one)."""
    titles: dict[str, str] = {}
    for index, para in enumerate(paras):
        note = ATTACHMENT_NOTE.match(para.text)
        if not note:
            continue
        items = [note["rest"]] + [p.text for p in itertools.takewhile(
            lambda p: _NOTE_NEXT_ITEM.match(p.text), paras[index + 1 :])]
        for item in items:
            if match := _NOTE_ITEM.match(item.strip()):
                titles.setdefault(match["num"] or note["num"], match["title"])
        break
    return titles


def _titles_as_noted(attachments: list[Attachment], noted: dict[str, str], text: str) -> None:
    """A scanned attachment's heading a few characters off the title its 附件 note prints, each
    differing character as the document prints more often elsewhere.

    Both are OCR readings of one title: the heading, large and bold, often loses its last character
    (征询意见表 over the form read as 征询意见稍, 意见航), but the body-size note misreads too (汇总素
    in the note, 汇总表 over the table). A character the text `text` prints more often, not counting
    these two printings, is the one printed; on a tie the note's, set in the body's size, which
    reads better than the heading's.
    """
    only = next(iter(noted.values())) if len(noted) == 1 == len(attachments) else None
    for attachment in attachments:
        title = noted.get(re.sub(r"\D", "", attachment.label)) or only
        heading = attachment.title
        if not title or title == heading or len(title) != len(heading):
            continue
        if consensus.edit_distance(heading, title) > max(1, len(title) // _NOTED_CHARS_PER_EDIT):
            continue
        chosen = []
        for seen, other in zip(heading, title, strict=True):
            elsewhere = text.count(other) - title.count(other), text.count(seen) - heading.count(seen)
            chosen.append(other if elsewhere[0] >= elsewhere[1] else seen)
        attachment.title = "".join(chosen)


def _contact_of(match: re.Match[str]) -> Contact:
    return Contact(name=match["name"], phone=match["phone"].replace("－", "-").replace("—", "-"))


def _contact(doc: CleanDocument, start: int) -> Contact | None:
    for para in doc.paragraphs[start:]:
        match = CONTACT.search(para.text)
        if match:
            return _contact_of(match)
    return None


def _ocr_contact(doc: CleanDocument, start: int) -> Contact | None:
    """The contact line of a scan, looked for across line breaks and with a doubled label character."""
    paras = doc.paragraphs[start:]
    for index, para in enumerate(paras):
        joined = "".join(p.text for p in paras[index : index + 2])
        # OCR doubles a character (联系人人) or breaks the line inside the label (联 / 系人：…).
        match = CONTACT.search(joined.replace("联系人人", "联系人"))
        if match and "联" in para.text:
            return _contact_of(match)
    return None


# What follows a proposer's name in a reply's title: 关于对王明代表所提建议的答复, 对李华等委员….
_TITLE_NAME_FOLLOWERS = ("代表", "委员", "等")


def _read_proposal(meta: DocumentMetadata, head: _Header, opening: Paragraph | None) -> None:
    """Session, number and proposer of the 提案/建议 a reply answers: from the title, else its opening."""
    if not head.title:
        return
    match = PROPOSAL.search(head.title)
    if match:
        meta.proposal_number = match["number"]
        session = SESSION.search(match["session"] or "")
        meta.session = session["session"] if session else None
    is_reply = bool(REPLY_TITLE.search(head.title))
    if opening is not None and is_reply and PROPOSAL_WORD.search(opening.text):
        if meta.proposal_number is None:
            number = OPENING_NUMBER.search(opening.text)
            meta.proposal_number = number["number"] if number else None
        if meta.session is None:
            session = SESSION.search(opening.text)
            meta.session = session["session"] if session else None
    if head.addressee and is_reply:
        meta.proposer = ROLE_SUFFIX.sub("", head.addressee) or None


def _title_name_as_salutation(title: str, proposer: str) -> str:
    """A scanned reply's title naming its proposer one character off the salutation, in the
    salutation's reading (关于对去晖旭代表所提建议的答复 under 尊敬的袁晖旭代表).

    The salutation line is read again by the model that reads names best; the title is not. Only a
    name of two to four characters followed by its role (or 等) and differing in one place changes.
    """
    size = len(proposer)
    if not 2 <= size <= 4:
        return title
    for start in range(len(title) - size):
        seen = title[start : start + size]
        if title.startswith(_TITLE_NAME_FOLLOWERS, start + size) and seen != proposer and sum(
            a != b for a, b in zip(seen, proposer, strict=True)
        ) == 1:
            return title[:start] + proposer + title[start + size :]
    return title


_QUOTE_MARKS = re.compile(r"[“”\"]")


def _ocr_consensus(
    head: _Header, tail: _Tail, cleaned: CleanDocument, grams: consensus.DocumentGrams, known: list[str],
    suffixes: tuple[str, ...],
) -> None:
    """Field readings of an OCR'd document corrected by the document's own repetitions and known names.

    A name that is not a known issuer moves to the one known name a single edit away, if unique.
    """
    if head.title:
        head.title = consensus.repair_value(_paired_quotes(head.title), grams)
        head.title = consensus.repair_quoted(head.title, cleaned.text)
    if head.addressee:
        head.addressee = OCR_SALUTATION.sub("", head.addressee)
    # Not the 主送 or 抄送 lists: their entries differ from frequent names by one character on purpose
    # (市政协办公室 beside 市政府办公室), and the document's majority would overrule them.
    # A quote mark inside a signature is the 、 between two names misread (国务院“中央军委): no body's
    # name holds one.
    # A lone character is no body's name: a seal's mark read on a line of its own above the name (四).
    signed_parts = [part for signed in tail.issuers for piece in _QUOTE_MARKS.split(signed)
                    if len(part := _EDGE_MARKS.sub("", piece)) >= 2]
    # A speck before the name read as a dash (一景川市人力资源和社会保障局): no body's name opens with 一.
    signed_parts = [rest if (rest := _LEADING_DASHES.sub("", part)) != part and (
        rest in known or _is_organisation(rest, suffixes)) else part for part in signed_parts]
    if any(part in known or _is_organisation(part, suffixes) for part in signed_parts):
        # The seal's ring read as marks beside and above the name (他、可入、景川市财政局、和刀心人):
        # where the signature holds a body's name, what is not one is not signed.
        signed_parts = [part for part in signed_parts if part in known or _is_organisation(part, suffixes)]
    abbreviation = head.doc_number[0] if head.doc_number else None
    # Joint issuers stacked in the masthead sign side by side, which OCR may read as one name.
    stacked = [_known_or_mended(name, known, grams, abbreviation) for name in _stacked_names(head.masthead)]
    if not all(name in known or _is_organisation(name, suffixes) for name in stacked):
        stacked = []
    names = [_known_or_mended(name, known, grams, abbreviation) for signed in signed_parts
             for name in _split_joint_signature(signed, [*known, *stacked], suffixes)]
    masthead = _masthead_name(head.masthead)
    if stacked and len(names) == len(stacked):
        masthead = None  # each signed name was checked against the known names above
    if masthead:
        masthead = head.masthead = _organisation_ending(
            _known_or_mended(masthead, known, grams, abbreviation), cleaned.text, known, suffixes)
    if len(names) == 1 and masthead and masthead != names[0]:
        names = [_signature_or_masthead(names[0], masthead, known, suffixes)]
    tail.issuers = [_organisation_ending(name, cleaned.text, known, suffixes) for name in names]
    if head.title:
        tail.issuers, head.title = _joint_as_titled(tail.issuers, head.title, known, suffixes)


_HAN_CHAR = re.compile(r"[\u4e00-\u9fff]")


def _is_debris(text: str) -> bool:
    """Fewer than two Chinese characters: a seal's mark or a speck read as text (加, ET人, 。一), never a
    name, an entry or a title."""
    return len(_HAN_CHAR.findall(text)) < 2


# A title naming two joint issuers before 关于: 国务院、中央军委关于同意…的批复.
_TITLE_JOINT = re.compile(r"^(?P<first>[\u4e00-\u9fff]{2,20}?)、(?P<second>[\u4e00-\u9fff]{2,20}?)关于")


def _joint_as_titled(
    issuers: list[str], title: str, known: list[str], suffixes: tuple[str, ...]
) -> tuple[list[str], str]:
    """A scanned signature read as one name where the title names two joint issuers, split as the
    title splits them; the title's names as signed.

    国务院中央军委 signed (the gap between the names lost), 国务辽、中央军委关于… in the title: the
    names are printed twice, and the signature's reading (of a known or organisation's name) splits
    where the title's 、 falls, one character off at most, and mends the title's reading.
    """
    match = _TITLE_JOINT.match(title)
    if len(issuers) != 1 or not match:
        return issuers, title
    signed, titled = issuers[0], match["first"] + match["second"]
    if len(signed) != len(titled) or consensus.edit_distance(signed, titled) > 1:
        return issuers, title
    parts = [signed[: len(match["first"])], signed[len(match["first"]) :]]
    if not all(part in known or _is_organisation(part, suffixes) for part in parts):
        return issuers, title
    return parts, "、".join(parts) + title[match.end("second") :]


# A scanned title opening 关于 with 关 read as 大, 美 or 天, or 于 as 千, 干 or 子 (大于开展…的通知).
_OCR_TITLE_OPENING = re.compile(r"^(?:[大美天]于|关[千干子])")
_BAR_BETWEEN_HAN = re.compile(r"(?<=[\u4e00-\u9fff])[|丨]+(?=[\u4e00-\u9fff])")
# A paragraph after an unfinished 抄送 list that holds the rest of it: names only, no label, date or number.
_CC_REST = re.compile(r"^[\u4e00-\u9fff，,、；;]{2,40}[。.]?$")


def _cc_list(listed: str, following: Sequence[Paragraph]) -> str:
    """The 抄送 list with the paragraphs it runs on into. A list ends with 。; one that does not (a
    scan's re-read last line set apart by its size, …代表工作 | 委员会; the list's end on the next
    page, behind a page number the cleaner did not know) goes on while what follows holds names only,
    up to the 印发 office over its date; debris with less than two Chinese characters between them
    is passed over.
    """
    for index, para in enumerate(following):
        if listed.rstrip().endswith(("。", ".")):
            break
        if _is_debris(para.text):
            continue  # a seal's mark between the lines (ET人)
        if not _CC_REST.match(para.text) or CC.match(para.text):
            break
        if index + 1 < len(following) and ISSUE_LINE.search(following[index + 1].text.replace("\t", "")):
            break  # the 印发 office, its date set apart as a paragraph of its own
        listed += para.text
    return listed


# Latin marks a seal or speck leaves after the last 抄送 entry (市政府办公室。 AS, 市政府督查室\).
_CC_TRAILING_DEBRIS = re.compile(r"[\s。.;；]*[A-Za-z\\/|]+[\s.]*$")


def _ocr_title(title: str, doc_types: tuple[tuple[str, str], ...], text: str = "") -> str:
    """A scanned title with its opening 关于 and its closing 文种 as GB/T 9704 titles always have them.

    A title ending in no 文种 whose last character, changed, ends it in one (工作方宁 → 工作方案) takes
    that 文种; when several fit (通千: 通知, 通报, 通告), the one the document's text `text` prints
    most often, if one does. A bar read between two characters (重点项|目) goes.
    """
    # A title never ends in a comma; on a scan a speck after it reads as one (…问题的复函，).
    title = _OCR_TITLE_OPENING.sub("关于", _BAR_BETWEEN_HAN.sub("", title)).rstrip("，,、")
    if doc_type_of(title, doc_types) is not None or len(title) < 4:
        return title
    lasts: dict[str, int] = {}  # a last character ending it in a 文种 → how often the text prints that
    for ending, _ in doc_types:
        if len(ending) >= 2 and title[:-1].endswith(ending[:-1]):
            lasts[ending[-1]] = max(lasts.get(ending[-1], 0), text.count(ending))
    ranked = sorted(lasts.items(), key=lambda item: -item[1])
    if ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
        return title[:-1] + ranked[0][0]
    return title


# A scanned 抄送 entry may be this many characters per misread one off the known entry it is.
_LATIN_RUN = re.compile(r"[A-Za-z]+")
_CC_CHARS_PER_EDIT = 6


def _ocr_cc(entries: list[str], known: list[str]) -> list[str]:
    """抄送 entries of a scan: a seal's debris (j, ji) dropped, an entry a character off a known one mended.

    Known entries are those several text-layer documents print and the often-copied bodies of the
    issuer file. One edit per `_CC_CHARS_PER_EDIT` characters (市人大利委会仆表工作委员会, 13, is two off
    市人大常委会代表工作委员会); a tie (市政府办公室 and 市政协办公室 both one edit away) changes nothing.
    """
    # A seal's mark beside the last entry comes as a cell of its own (市政府办公室。\t和), or as Latin
    # marks after it.
    entries = [_CC_TRAILING_DEBRIS.sub("", _before_full_stop(entry.split("\t", 1)[0])).strip(" 。.;；")
               or entry for entry in entries]
    kept = [part for entry in entries if not _is_debris(entry) for part in _run_together(entry, known)]
    if not known:
        return kept
    return [entry if entry in known else _nearest_cc(entry, known) or entry for entry in kept]


# Where a body's name may begin inside a run-together entry: with its place.
_ENTRY_START = "省市州县区"


def _run_together(entry: str, known: list[str]) -> list[str]:
    """Two known bodies whose separating 、 or ， the scan lost (市政协提案委员会市政府督查室), apart;
    any other entry as it is. Both parts must be known bodies, the second opening with its place."""
    if entry in known:
        return [entry]
    for i in range(2, len(entry) - 1):
        if entry[i] in _ENTRY_START and entry[:i] in known and entry[i:] in known:
            return [entry[:i], entry[i:]]
    return [entry]


def _before_full_stop(entry: str) -> str:
    """The last 抄送 entry without what a scan read after the list's full stop (市政府督查室。一: the
    rule under the 版记, a speck); a second entry there (。市政府办公室) stays for the reader to see."""
    head, stop, rest = entry.partition("。")
    return head if stop and _is_debris(rest) else entry


def _nearest_cc(entry: str, known: list[str]) -> str | None:
    """The known entry this scanned one is a few edits off, Latin look-alikes read inside it passed
    over (市人大常委会代表了ff委员会: 了ff is where 工作 is printed)."""
    for reading in dict.fromkeys([entry, _LATIN_RUN.sub("", entry)]):
        edits = max(1, len(reading) // _CC_CHARS_PER_EDIT)
        mended = consensus.nearest_unique(reading, known, max_distance=edits)
        if mended:
            return mended
    return None


def _known_or_mended(
    name: str, known: list[str], grams: consensus.DocumentGrams, abbreviation: str | None
) -> str:
    """An OCR'd issuer's name as the document's repetitions, the known names and their places say."""
    name = consensus.repair_value(name, grams)
    if known and name not in known:
        name = consensus.nearest_unique(name, known, max_distance=1) or name
    return name if name in known else consensus.repair_place(name, known, grams, abbreviation)


# A scanned 主送 line may be this many characters per misread one off the standard line it is.
_ADDRESSEE_CHARS_PER_EDIT = 12


def _known_addressee(addressee: str, known: Sequence[str]) -> str | None:
    """The one known 主送 line a few characters off this one (one edit per `_ADDRESSEE_CHARS_PER_EDIT`
    characters), if any."""
    if addressee in known:
        return addressee
    edits = max(1, len(addressee) // _ADDRESSEE_CHARS_PER_EDIT)
    return consensus.nearest_unique(addressee, list(known), max_distance=edits)


def _ocr_addressee(addressee: str | None, known: list[str]) -> str | None:
    """A long scanned 主送 line a few characters off a known one (printed by several text layers, or in
    the issuer file's `[addressed]`), as it is printed.

    各省、自治区、直辖市人民政府，国务院各部委、各直属机构 is printed on document after document; OCR
    drops a 、 or misreads 各 as 名. One edit per 12 characters, to a unique nearest line; a
    salutation to a person (short) is never changed.
    """
    if not addressee or not known:
        return addressee
    return _known_addressee(addressee, known) or addressee


def _masthead_name(masthead: str | None) -> str | None:
    """The issuer a 发文机关标志 names: 国务院办公厅文件 → 国务院办公厅."""
    if not masthead:
        return None
    return re.sub(r"(?:文件|公报|函)$", "", re.sub(r"\s+", "", masthead)) or None


def _stacked_names(masthead: str | None) -> list[str]:
    """The names of joint issuers a 发文机关标志 stacks one per line (国务院 / 中央军委); [] for one line."""
    lines = masthead.split("\n") if masthead else []
    return [name for name in map(_masthead_name, lines) if name] if len(lines) > 1 else []


def _signature_or_masthead(signed: str, masthead: str, known: list[str], suffixes: tuple[str, ...]) -> str:
    """One issuer read twice, in the masthead and in the signature, differently: the better reading.

    A known name wins; else a reading that is an organisation's name; else the masthead, set large
    and never under the seal that covers the signature. Two readings far apart (more than a third
    of the name) are two bodies, and the signature stands.
    """
    if consensus.edit_distance(signed, masthead) > max(1, len(masthead) // 3):
        return signed
    for test in (lambda n: n in known, lambda n: _is_organisation(n, suffixes)):
        passing = [n for n in (signed, masthead) if test(n)]
        if len(passing) == 1:
            return passing[0]
        if len(passing) == 2:
            return signed
    return masthead


def _organisation_ending(name: str, text: str, known: list[str], suffixes: tuple[str, ...]) -> str:
    """A signed name whose last characters the seal spoiled (财政启, 生态环境忆), ended as the document says.

    Only a name that ends like no organisation changes: its last one or two characters become the
    organisation ending that the document itself prints most often after the two characters kept
    before it (财政局 in the body of a 财政局 reply), when exactly one ending is best.
    """
    if name in known or _is_organisation(name, suffixes) or len(name) < 4:
        return name
    scores: dict[str, int] = {}
    for cut in (1, 2):
        kept = name[:-cut]
        for suffix in suffixes:
            # The ending's own first characters may have survived (办公宇 → 办公室).
            tail = suffix if len(suffix) <= cut or not kept.endswith(suffix[:-cut]) else suffix[-cut:]
            candidate = kept + tail
            support = text.count(kept[-2:] + tail)
            if support and len(kept) >= 3:
                scores[candidate] = max(scores.get(candidate, 0), support)
    if not scores:
        return name
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if len(ranked) > 1 and ranked[1][1] == ranked[0][1]:
        return name
    return ranked[0][0]


def _ending(name: str, suffixes: tuple[str, ...]) -> str | None:
    """The longest organisation ending `name` has (办公厅 before 厅)."""
    found = [suffix for suffix in suffixes if name.endswith(suffix)]
    return max(found, key=len) if found else None


# Shortest name of each body in a joint signature that OCR ran together (国务院办公厅中央军委办公厅).
_JOINT_PART_MIN = 5


def _split_joint_signature(name: str, known: list[str], suffixes: tuple[str, ...]) -> list[str]:
    """Two issuing bodies OCR read as one line without the gap between them, split where both end.

    Only when exactly one split gives two names of five or more characters ending alike, as peers
    signing together do (办公厅 and 办公厅, 局 and 局): 景川市人民政府国有资产监督管理委员会 is one body,
    and in 景川市人民政府办公室 the 办公室 alone is too short. Two known names (国务院中央军委: the
    names a stacked masthead printed) split whatever their length.
    """
    if name in known:
        return [name]
    known_halves = [[name[:cut], name[cut:]] for cut in range(2, len(name) - 1)
                    if name[:cut] in known and name[cut:] in known]
    if len(known_halves) == 1:
        return known_halves[0]
    if len(name) < 2 * _JOINT_PART_MIN:
        return [name]
    splits = [
        (name[:cut], name[cut:])
        for cut in range(_JOINT_PART_MIN, len(name) - _JOINT_PART_MIN + 1)
        if _is_organisation(name[:cut], suffixes)
        and _ending(name[:cut], suffixes) == _ending(name[cut:], suffixes)
    ]
    return list(splits[0]) if len(splits) == 1 else [name]


def extract_metadata(cleaned: CleanDocument, settings: Settings, ocr: bool = False) -> DocumentMetadata:
    """Read every GB/T 9704 element the document prints; `ocr` adds the consensus repairs of OCR text."""
    doc_types = load_doc_types(str(settings.path("ingest", "doc_types")))
    issuer_file = str(settings.path("ingest", "issuer_aliases"))
    aliases, prefixes, suffixes = load_issuer_aliases(issuer_file)
    # Names and prefixes the store knows from text layers join the hand-made tables (which win).
    known = lexicon.store_lexicon(settings) if ocr else lexicon.Lexicon()
    addressed = list(dict.fromkeys([*known.addressees, *load_addressed_lines(issuer_file)])) if ocr else []
    head = _read_header(cleaned, ocr, suffixes, doc_types, addressed)
    tail = _read_tail(cleaned, head.body_start, ocr, head.doc_number)
    # The document's own n-grams, for the repairs of what it prints twice (OCR only).
    grams = consensus.DocumentGrams.of(cleaned.text) if ocr else None
    if grams is not None:
        prefixes = {**known.prefixes, **prefixes}
        names = sorted({*aliases.values(), *prefixes.values(), *known.issuers})
        _ocr_consensus(head, tail, cleaned, grams, names, suffixes)
        if head.title:
            head.title = _ocr_title(repair_marks(head.title), doc_types, cleaned.text)
    paras = cleaned.paragraphs
    meta = DocumentMetadata(
        doc_number=head.doc_number, category=head.category, title=head.title, addressee=head.addressee
    )
    meta.body = "\n".join(p.text for p in paras[head.body_start : tail.body_end])
    meta.date = tail.date
    if ocr and meta.date and head.doc_number:
        meta.date = _date_in_number_year(meta.date, head.doc_number, cleaned.text)
    meta.year = int(meta.date[:4]) if meta.date else tail.year
    if ocr and meta.year is None and (number_year := _NUMBER_YEAR.search(head.doc_number or "")):
        # A scan whose date line a seal or the scan spoiled: the 发文字号 carries the year of issue.
        meta.year = int(number_year.group(1))
    meta.issuers = [aliases.get(name, name) for name in tail.issuers]
    if not meta.issuers and head.masthead:
        stacked = _stacked_names(head.masthead)
        if not stacked or not all(_is_organisation(name, suffixes) for name in stacked):
            stacked = [name] if (name := _masthead_name(head.masthead)) else []
        meta.issuers = [aliases.get(name, name) for name in stacked]
    if not meta.issuers and head.title:
        # 发文机关 + 关于 + 事由 + 文种: an unsigned report or cover names its issuer at the title's start.
        prefix = TITLE_ISSUER.match(head.title)
        if prefix and _is_organisation(prefix["issuer"], suffixes):
            issuer = prefix["issuer"]
            if grams is not None:
                # A scan's place misread at the title's very start, where no consensus reaches.
                issuer = consensus.repair_place(issuer, names, grams)
                meta.title = head.title = issuer + head.title[len(prefix["issuer"]):]
            meta.issuers = [aliases.get(issuer, issuer)]
    if not meta.issuers and head.doc_number:
        prefix = re.split(r"[〔第]", head.doc_number)[0]
        if prefix in prefixes:
            meta.issuers = [prefixes[prefix]]
    if ocr and meta.doc_number and meta.issuers:
        meta.doc_number = consensus.repair_doc_number(meta.doc_number, meta.issuers, prefixes)
    meta.issuer = "、".join(meta.issuers) if meta.issuers else None
    meta.doc_type = doc_type_of(head.title, doc_types)
    _read_proposal(meta, head, paras[head.body_start] if head.body_start < tail.body_end else None)
    if ocr and meta.title and meta.proposer:
        meta.title = _title_name_as_salutation(meta.title, meta.proposer)
    tail_start = tail.date_index + 1 if tail.date_index is not None else tail.body_end
    for index in range(tail.body_end, len(paras)):
        match = CC.match(paras[index].text)
        if match:
            meta.cc = split_list(_cc_list(match["list"], paras[index + 1 :]))
            break
    if ocr:
        bodies = list(dict.fromkeys([*known.cc, *copied_bodies_for(meta.cc, issuer_file)]))
        meta.cc = [_organisation_ending(entry, cleaned.text, bodies, suffixes)
                   for entry in _ocr_cc([repair_marks(entry) for entry in meta.cc], bodies)]
        meta.addressee = _ocr_addressee(repair_marks(meta.addressee) if meta.addressee else None, addressed)
    meta.contact = _contact(cleaned, head.body_start)
    if ocr and meta.contact is None:
        meta.contact = _ocr_contact(cleaned, head.body_start)
    meta.attachments = _attachments(cleaned, tail_start)
    if ocr:
        noted = _noted_titles(cleaned.paragraphs[head.body_start : tail_start])
        _titles_as_noted(meta.attachments, noted, cleaned.text)
    if grams is not None:
        # An attachment's title is printed twice (附件：… under the body, and over the attachment).
        for attachment in meta.attachments:
            attachment.title = consensus.repair_value(attachment.title, grams)
    if meta.proposal_number is None and meta.proposer:
        # The 征询意见表 attached to a reply prints the proposal's number when the letter does not.
        for attachment in meta.attachments:
            number = FORM_NUMBER.search(attachment.text)
            if number:
                meta.proposal_number = number["number"]
                break
    return meta


def apply_to_record(fields: DocumentMetadata, record: DocumentRecord) -> None:
    """Copy the found elements and the body onto the record."""
    for name in ("doc_number", "category", "title", "addressee", "issuer", "date", "year", "doc_type",
                 "proposal_number", "session", "proposer", "contact"):
        setattr(record, name, getattr(fields, name))
    record.issuers = list(fields.issuers)
    record.cc = list(fields.cc)
    record.attachments = list(fields.attachments)
    record.body = fields.body
