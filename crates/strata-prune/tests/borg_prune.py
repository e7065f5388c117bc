# Runs borg's own prune functions (borg.helpers.misc.prune_within / prune_split) on the timelines
# given as JSON on stdin; prints, per case, {index: rule borg kept it for}.
import json
import os
import sys
import time

os.environ["TZ"] = "UTC"
time.tzset()

from datetime import datetime, timezone  # noqa: E402

import borg.helpers.misc as misc  # noqa: E402
from borg.helpers.misc import PRUNING_PATTERNS, prune_split, prune_within  # noqa: E402


class Archive:
    __slots__ = ("id", "ts")

    def __init__(self, id, ts):
        self.id = id
        self.ts = ts


out = []
for case in json.load(sys.stdin):
    now = datetime.fromtimestamp(case["now"], timezone.utc)

    class FixedNow(datetime):
        @classmethod
        def now(cls, tz=None):
            return now

    misc.datetime = FixedNow
    # Newest first, as borg's manifest lists them; sorted() is stable for equal times.
    archives = [Archive(i, datetime.fromtimestamp(t, timezone.utc)) for i, t in enumerate(case["times"])]
    kept_because = {}
    if case.get("within_hours"):
        prune_within(archives, case["within_hours"], kept_because)
    for rule in PRUNING_PATTERNS:
        n = case["rules"].get(rule, 0)
        if n:
            prune_split(archives, rule, n, kept_because)
    out.append({str(k): v[0] for k, v in kept_because.items()})
json.dump(out, sys.stdout)
