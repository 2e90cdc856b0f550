"""Scalable synthetic corpus for the benchmarks: N seeded documents in the genre, as records or as PDFs.

Document `i` of seed `s` is always the same (its own `random.Random`), so ranges can be generated in
parallel and a 100k store and a 400-PDF folder share their first documents. Records go straight into a
`RecordStore` (index and query benchmarks, no PDF is read); PDFs are written with `samples/`'s writer
(ingest benchmarks). `queries` makes the fixed query set of `bench/query_bench.py`.

    .venv/bin/python bench/corpus.py records --n 20000 --out /work/benchdata/r20k
    .venv/bin/python bench/corpus.py pdfs --n 400 --out /work/benchdata/pdf400
    .venv/bin/python bench/corpus.py queries --n 20000 --count 240 --out bench/out/queries.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import multiprocessing
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
for _path in (REPO, REPO / "samples"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from bench import vocabulary as V  # noqa: E402
from ingest.record import Attachment, Contact, DocumentRecord, Page  # noqa: E402

DEFAULT_SEED = 7
# GB/T 9704: 22 lines of 28 characters; the first page loses about 7 lines to the 版头 and title.
LINES_PER_PAGE, CHARS_PER_LINE, HEAD_LINES, TAIL_LINES = 22, 28, 7, 6
PAGE_WEIGHTS = [35, 35, 20, 10]  # share of 1-, 2-, 3- and 4-page documents
CN_DIGITS = "〇一二三四五六七八九十"


@dataclass
class BenchDoc:
    """One synthetic document: its `samples` writer spec plus the fields ingest would extract."""

    index: int
    kind: str  # zhengxie, renda, tongzhi, yijian, pifu, baogao
    spec: dict[str, Any]
    fields: dict[str, Any] = field(default_factory=dict)
    keywords: list[str] = field(default_factory=list)

    @property
    def filename(self) -> str:
        return f"bench_{self.index:06d}_{self.kind}.pdf"


def _cn_number(n: int) -> str:
    if n <= 10:
        return CN_DIGITS[n]
    if n < 20:
        return "十" + CN_DIGITS[n - 10]
    return CN_DIGITS[n // 10] + "十" + (CN_DIGITS[n % 10] if n % 10 else "")


def _name(rng: random.Random) -> str:
    return rng.choice(V.SURNAMES) + "".join(rng.choice(V.GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _sessions(year: int) -> tuple[str, str]:
    """(政协 session, 人大 session) meeting in `year`: new terms began in 2017 and 2022."""
    term_start = 2022 if year >= 2022 else 2017
    zx, rd = (9, 10) if year >= 2022 else (8, 9)
    meeting = _cn_number(year - term_start + 1)
    return f"市政协{_cn_number(zx)}届{meeting}次会议", f"市{_cn_number(rd)}届人大{meeting}次会议"


def _sentence(frame: str, rng: random.Random, words: list[str], unit: str, year: int) -> str:
    k, k2 = rng.sample(words, 2)
    return frame.format(
        k=k, k2=k2, g=rng.choice(V.GENERIC), p=rng.choice(V.PARTNERS), u=unit, y=year - rng.randint(0, 2),
        y2=year + rng.randint(1, 3), n=rng.randint(3, 90), n2=rng.randint(1, 3), m=rng.randint(50, 9000),
        pct=round(rng.uniform(5, 98), 1), small=round(rng.uniform(0.5, 9.9), 1), big=rng.randint(1000, 90000),
    )


def _paragraph(rng: random.Random, frames: list[str], words: list[str], unit: str, year: int) -> str:
    return "".join(_sentence(rng.choice(frames), rng, words, unit, year) for _ in range(rng.randint(2, 4)))


def _lines(text: str) -> int:
    return math.ceil((len(text) + 2) / CHARS_PER_LINE)


def _body(rng: random.Random, kind: str, words: list[str], unit: str, year: int, opening: str,
          closing: str | None) -> list[str]:
    """Opening, headed sections of fact paragraphs, a plan, until the target page count is filled."""
    pages = rng.choices(range(1, 5), weights=PAGE_WEIGHTS)[0]
    target = pages * LINES_PER_PAGE - HEAD_LINES - TAIL_LINES - rng.randint(0, 8)
    headings = V.HEADINGS_OPINION if kind == "yijian" else V.HEADINGS_REPLY
    body, used = [opening], _lines(opening)
    if pages == 1:
        # A one-page letter has no headed sections: a fact paragraph and a plan.
        body += [_sentence(rng.choice(V.FACT_FRAMES), rng, words, unit, year)
                 + _sentence(rng.choice(V.FACT_FRAMES), rng, words, unit, year),
                 _sentence(rng.choice(V.PLAN_FRAMES), rng, words, unit, year)]
        return body + ([closing] if closing else [])
    sections = [(headings[0], V.FACT_FRAMES), (headings[1], V.DIFFICULTY_FRAMES + V.FACT_FRAMES),
                (headings[2], V.PLAN_FRAMES)]
    for number, (heading, frames) in enumerate(sections):
        body.append(heading)
        used += 1
        # Each later section still needs a heading and at least one paragraph (about 5 lines).
        budget = target - used - (len(sections) - number - 1) * 6
        subs = 0
        while subs == 0 or used + 5 < budget:
            if number == 0 and subs < len(V.SUB_HEADINGS) and rng.random() < 0.6:
                sub = f"{V.SUB_HEADINGS[subs]}{rng.choice(V.SUB_VERBS)}{rng.choice(words)}"
                body.append(sub)
                used += 1
            para = _paragraph(rng, frames, words, unit, year)
            body.append(para)
            used += _lines(para)
            subs += 1
    if closing:
        body.append(closing)
    return body


def bench_doc(index: int, seed: int = DEFAULT_SEED) -> BenchDoc:
    """Document number `index` of the corpus `seed`: always the same document."""
    rng = random.Random(f"gongwen-bench:{seed}:{index}")
    issuer, short, issuer_kind = V.ISSUERS[index % len(V.ISSUERS)]
    year = V.YEARS[(index // len(V.ISSUERS)) % len(V.YEARS)]
    serial = index // (len(V.ISSUERS) * len(V.YEARS)) + 1
    kinds = ["tongzhi", "yijian", "pifu"] if issuer_kind == "gov" else \
        rng.choices(["zhengxie", "renda", "tongzhi", "baogao"], weights=[45, 40, 10, 5])
    kind = rng.choice(kinds)
    subject, words = rng.choice(V.TOPICS)
    words = words + rng.sample(V.GENERIC, 2)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    date_text = f"{year}年{month}月{day}日"
    zx_session, rd_session = _sessions(year)
    unit = "局" if issuer.endswith("局") else "们"
    fields: dict[str, Any] = {"issuer": issuer, "issuers": [issuer], "date": f"{year}-{month:02d}-{day:02d}",
                              "year": year}
    spec: dict[str, Any] = {"kind": "text", "seed": index, "header": issuer, "signature": [issuer],
                            "date_text": date_text, "page_numbers": rng.choice(["center", "alt"])}
    if kind in ("zhengxie", "renda"):
        category = rng.choices(V.CATEGORIES, weights=V.CATEGORY_WEIGHTS)[0]
        number = f"{rng.randint(1, 320):03d}" if kind == "zhengxie" else f"{rng.randint(1, 400):04d}"
        session = zx_session if kind == "zhengxie" else rd_session
        noun = "提案" if kind == "zhengxie" else "建议"
        doc_number = f"梧{short}函〔{year}〕{serial}号"
        if rng.random() < 0.3 and kind == "zhengxie":
            proposer = rng.choice(V.GROUPS)
            addressee = f"{proposer}："
        else:
            proposer = _name(rng)
            addressee = f"尊敬的{proposer}{'委员' if kind == 'zhengxie' else '代表'}："
        title = rng.choice([f"关于{session}第{number}号{noun}答复的函",
                            f"对{session}第{number}号{noun}的答复"])
        opening = (f"您提出的{session}第{number}号{noun}《关于{subject}的建议》已收悉。我{unit}高度重视，"
                   f"会同{rng.choice(V.PARTNERS)}进行了认真研究，现将办理情况答复如下：")
        closing = "感谢您对我市工作的关心和支持，欢迎继续提出宝贵意见。"
        cc = ["市政协提案委员会" if kind == "zhengxie" else "市人大常委会代表工作委员会", "市政府督查室"]
        fields.update(category=category, proposal_number=number, session=session, proposer=proposer,
                      doc_type="函" if title.endswith("函") else "答复")
        spec.update(layout="letter", category=category)
    else:
        prefix = {"tongzhi": "发", "yijian": "发", "pifu": "复", "baogao": "字"}[kind]
        doc_number = f"梧{short}{prefix}〔{year}〕{serial}号"
        doc_type = {"tongzhi": "通知", "yijian": "意见", "pifu": "批复", "baogao": "报告"}[kind]
        verb = {"tongzhi": "印发《梧岭市{s}工作方案》的通知", "yijian": "{s}的实施意见",
                "pifu": "同意{s}试点的批复", "baogao": "{y}年度{s}工作情况的报告"}[kind]
        title = f"{issuer}关于" + verb.format(s=subject, y=year - 1)
        addressee = {"pifu": f"{rng.choice(V.PARTNERS)}：", "baogao": "市人大常委会："}.get(
            kind, "各镇人民政府、街道办事处，市政府各部门：")
        opening = {"tongzhi": f"为{subject}，经市政府同意，现将有关事项通知如下：",
                   "yijian": f"为{subject}，结合我市实际，提出如下意见。",
                   "pifu": f"你们关于{subject}的请示收悉。经研究，现批复如下：",
                   "baogao": f"现将{year - 1}年度全市{subject}工作情况报告如下："}[kind]
        closing = {"tongzhi": "请各地各部门结合实际认真贯彻执行。", "yijian": "本意见自印发之日起施行。",
                   "pifu": "此复。", "baogao": None}[kind]
        cc = ["市委办公室", "市人大常委会办公室", "市政协办公室"]
        fields.update(category=None, proposal_number=None, session=None, proposer=None, doc_type=doc_type)
        spec.update(layout="file" if issuer_kind == "gov" else "letter")
        if issuer_kind == "gov":
            spec.update(header=f"{issuer}文件", printer="梧岭市人民政府办公室",
                        print_date=f"{year}年{month}月{day}日印发")
    contact_name = _name(rng)
    phone = f"0579-88{rng.randint(10000, 99999)}"
    contact = f"联系人及联系电话：{contact_name} {phone}"
    body = _body(rng, kind, words, unit, year, opening, closing)
    title_lines = _title_lines(title)
    attachments = [f"{subject}工作任务分解表"] if kind == "tongzhi" else []
    spec.update(doc_number=doc_number, title_lines=title_lines, addressee=addressee, body=body, cc=cc,
                contact=contact, attachments=attachments)
    fields.update(doc_number=doc_number, title=title, addressee=addressee.rstrip("："), cc=cc,
                  contact={"name": contact_name, "phone": phone}, attachments=attachments)
    return BenchDoc(index, kind, spec, fields, words)


def _title_lines(title: str) -> list[str]:
    """Break a long title near its middle, after 关于… where possible, as offices print them."""
    if len(title) <= 22:
        return [title]
    cut = title.find("关于") + 2 if 0 < title.find("关于") < len(title) - 6 else len(title) // 2
    cut = cut if 6 <= cut <= 22 else len(title) // 2
    return [title[:cut], title[cut:]]


def printed_lines(doc: BenchDoc) -> list[str]:
    """The document's lines in reading order, as a clean text layer gives them."""
    spec = doc.spec
    lines = [spec["header"]]
    if spec.get("category"):
        lines.append(f"分类：{spec['category']}")
    lines += [spec["doc_number"], *spec["title_lines"], spec["addressee"], *spec["body"]]
    for n, title in enumerate(spec["attachments"], start=1):
        lines.append(f"附件：{title}" if n == 1 else title)
    lines += [*spec["signature"], spec["date_text"]]
    lines.append("抄送：" + "，".join(spec["cc"]) + "。")
    if spec.get("printer"):
        lines.append(f"{spec['printer']} {spec['print_date']}")
    lines.append(spec["contact"])
    return lines


def record_of(doc: BenchDoc) -> DocumentRecord:
    """The `DocumentRecord` ingest would produce for the document's PDF, paginated at 22 lines a page."""
    pages: list[list[str]] = [[]]
    used = 0
    signature = doc.spec["signature"][0]
    for line in printed_lines(doc):
        # The signature stands two blank lines below the text.
        need = _lines(line) + (2 if line == signature and pages[-1] else 0)
        if used + need > LINES_PER_PAGE and pages[-1]:
            pages.append([])
            used = 0
        pages[-1].append(line)
        used += need
    page_texts = ["\n".join(lines) for lines in pages]
    f = doc.fields
    doc_id = hashlib.sha256(f"gongwen-bench-record:{doc.spec['seed']}:{doc.filename}".encode()).hexdigest()
    return DocumentRecord(
        id=doc_id,
        filename=doc.filename,
        source_path=f"bench:{doc.filename}",
        sha256=doc_id,
        pages=[Page(number=n, text=t) for n, t in enumerate(page_texts, start=1)],
        text="\n".join(page_texts),
        body="\n".join(doc.spec["body"]),
        doc_number=f["doc_number"],
        category=f["category"],
        title=f["title"],
        addressee=f["addressee"],
        issuer=f["issuer"],
        issuers=f["issuers"],
        date=f["date"],
        year=f["year"],
        doc_type=f["doc_type"],
        proposal_number=f["proposal_number"],
        session=f["session"],
        proposer=f["proposer"],
        cc=f["cc"],
        attachments=[Attachment(label="附件", title=t) for t in f["attachments"]],
        contact=Contact(**f["contact"]),
    )


def iter_docs(n: int, seed: int = DEFAULT_SEED, start: int = 0) -> Iterator[BenchDoc]:
    for index in range(start, start + n):
        yield bench_doc(index, seed)


# --- writing ------------------------------------------------------------------------------------------


def write_records(n: int, root: str | Path, seed: int = DEFAULT_SEED) -> int:
    """Put N records into the `RecordStore` at `root` (the index is not touched); returns pages written."""
    from ingest.store import RecordStore

    pages = 0
    with RecordStore(root) as store:
        for doc in iter_docs(n, seed):
            record = record_of(doc)
            store.put(record)
            pages += record.page_count
    return pages


def _write_pdf_range(args: tuple[int, int, int, str]) -> int:
    from make_samples import write_document

    start, count, seed, out = args
    pages = 0
    for doc in iter_docs(count, seed, start):
        target = Path(out) / doc.filename
        if not target.exists():
            write_document(doc.spec, target)
        pages += 1
    return pages


def write_pdfs(n: int, out_dir: str | Path, seed: int = DEFAULT_SEED, workers: int = 1) -> list[Path]:
    """Write N text-layer PDFs into `out_dir` (existing files are kept); returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    chunk = max(1, math.ceil(n / max(1, workers * 4)))
    ranges = [(s, min(chunk, n - s), seed, str(out)) for s in range(0, n, chunk)]
    if workers > 1:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            pool.map(_write_pdf_range, ranges)
    else:
        for item in ranges:
            _write_pdf_range(item)
    return [out / doc.filename for doc in iter_docs(n, seed)]


# --- queries ------------------------------------------------------------------------------------------


def make_queries(n_docs: int, count: int = 240, seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """A fixed mix of the queries staff type, drawn from documents 0..n_docs-1 of the corpus.

    Kinds: a 2–6 character word, two words (AND), a quoted phrase, a document number, a proposer; about a
    third carry a filter (issuer, year or category).
    """
    rng = random.Random(f"gongwen-bench-queries:{seed}:{n_docs}")
    kinds = ["word"] * 35 + ["and"] * 25 + ["phrase"] * 20 + ["doc_number"] * 12 + ["proposer"] * 8
    queries: list[dict[str, Any]] = []
    while len(queries) < count:
        doc = bench_doc(rng.randrange(n_docs), seed)
        kind = rng.choice(kinds)
        if kind == "word":
            q = rng.choice([w for w in doc.keywords if 2 <= len(w) <= 6] or doc.keywords)
        elif kind == "and":
            q = " ".join(rng.sample(doc.keywords, 2))
        elif kind == "phrase":
            para = rng.choice([p for p in doc.spec["body"] if len(p) > 30])
            begin = rng.randrange(0, len(para) - 12)
            q = '"' + para[begin : begin + rng.randint(4, 8)].strip("，。、；：“”《》（）") + '"'
        elif kind == "doc_number":
            q = doc.fields["doc_number"]
        else:
            if not doc.fields.get("proposer"):
                continue
            q = doc.fields["proposer"]
        query: dict[str, Any] = {"kind": kind, "q": q}
        roll = rng.random()
        if kind in ("word", "and", "phrase") and roll < 0.35:
            which = rng.choice(["issuer", "year", "category"])
            if which == "issuer":
                query["issuer"] = doc.fields["issuer"]
            elif which == "year":
                query["year"] = str(doc.fields["year"])
            else:
                query["category"] = rng.choice(["A", "B", "C"])
        queries.append(query)
    return queries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Make the synthetic benchmark corpus (seeded).")
    sub = parser.add_subparsers(dest="what", required=True)
    for name, helptext in (("records", "records into a RecordStore folder"), ("pdfs", "text-layer PDFs"),
                           ("queries", "the query set, as JSON lines")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--n", type=int, required=True, help="number of documents")
        p.add_argument("--out", required=True, help="folder (records, pdfs) or file (queries)")
        p.add_argument("--seed", type=int, default=DEFAULT_SEED)
        if name == "pdfs":
            p.add_argument("--workers", type=int, default=1)
        if name == "queries":
            p.add_argument("--count", type=int, default=240)
    args = parser.parse_args(argv)
    started = time.monotonic()
    if args.what == "records":
        pages = write_records(args.n, args.out, args.seed)
        print(f"{args.n} records, {pages} pages into {args.out} in {time.monotonic() - started:.1f} s")
    elif args.what == "pdfs":
        paths = write_pdfs(args.n, args.out, args.seed, args.workers)
        print(f"{len(paths)} PDFs in {args.out} in {time.monotonic() - started:.1f} s")
    else:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as handle:
            for query in make_queries(args.n, args.count, args.seed):
                handle.write(json.dumps(query, ensure_ascii=False) + "\n")
        print(f"{args.count} queries into {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
