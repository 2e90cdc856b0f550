"""jieba cuts of a record's indexed fields, made in the ingest worker that read it and handed to the indexer.

The worker has the time (the parent indexes serially); the parent seeds its block cache with the
result (`index.analysis.seed_block_cuts`), so indexing the record cuts nothing and loads no dictionary.
"""

from __future__ import annotations

from typing import Any

from index.analysis import JiebaTokenizer, block_cuts
from index.normalize import fold_with_offsets
from index.schema import build_schema, index_fields
from ingest.record import DocumentRecord
from ingest.settings import Settings

_schemas: dict[int, Any] = {}


def precut_record(record: DocumentRecord, settings: Settings) -> dict[str, Any]:
    """`{"userdict": …, "blocks": {block: words}}` for every jieba-analysed field of `record`."""
    schema = _schemas.get(id(settings))
    if schema is None:
        schema = _schemas[id(settings)] = build_schema(settings)
    blocks: dict[str, tuple[str, ...]] = {}
    userdict = None
    for name, value in index_fields(record, 0).items():
        analyzer = getattr(schema[name], "analyzer", None) if name in schema else None
        if isinstance(analyzer, JiebaTokenizer) and isinstance(value, str) and value:
            userdict = analyzer.userdict
            blocks.update(block_cuts(fold_with_offsets(value, analyzer.t2s)[0], userdict))
    return {"userdict": userdict, "blocks": blocks}
