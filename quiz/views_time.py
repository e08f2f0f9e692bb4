"""Times as they leave the app: stored in UTC, written out in ISO 8601 with the offset."""
from __future__ import annotations

from datetime import datetime, timezone


def iso(moment: datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
