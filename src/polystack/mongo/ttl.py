"""The TTL monitor: deletes documents whose indexed date is older than expireAfterSeconds."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from . import paths
from .keystring import datetime_ms
from .wire import decode_document

log = logging.getLogger(__name__)


def expire_ttl(storage: Any) -> int:
    """One pass over every TTL index (on the runtime clock); returns documents deleted."""
    now_ms = storage.clock.time_ms()
    deleted = 0
    storage.ttl_passes += 1
    for coll in storage.all_collections():
        for ix in list(coll.indexes.values()):
            ttl = ix.spec.expire_after_seconds
            if ttl is None:
                continue
            cutoff = now_ms - int(float(ttl) * 1000)
            parts = ix.parts[0]
            for idkey, raw in list(coll.records.items()):
                doc = decode_document(raw)
                vals: list = []
                paths.collect(doc, parts, 0, vals)
                dates = []
                for v in vals:
                    for x in v if type(v) is list else [v]:
                        if isinstance(x, datetime.datetime) or type(x).__name__ == "DatetimeMS":
                            dates.append(datetime_ms(x))
                if dates and min(dates) <= cutoff and idkey in coll.records:
                    storage.delete(coll, idkey, doc)
                    deleted += 1
    storage.ttl_deleted += deleted
    if deleted:
        log.info("TTL monitor deleted %d documents", deleted)
    return deleted
