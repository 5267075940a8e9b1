"""The server-side assignors of KIP-848 consumer groups: `uniform` and `range`.

Both take the members' subscribed topics (already resolved from names and regexes) and the
partition counts of those topics, and return each member's target assignment. They run on the
broker (group.consumer.assignors); a member picks one with `group.remote.assignor` (client side)
sent as `server_assignor`.
"""
from __future__ import annotations

from typing import Callable

Assignment = dict[bytes, set[int]]          # topic id -> partitions
Subscriptions = dict[str, set[bytes]]       # member id -> topic ids it subscribes to
Partitions = dict[bytes, int]               # topic id -> partition count


def uniform(members: Subscriptions, partitions: Partitions, previous: dict[str, Assignment]) -> dict[str, Assignment]:
    """Balanced and sticky: a member keeps what it had up to its fair share, the rest goes to the
    least-loaded member subscribed to the topic; then partitions move from the most to the least
    loaded eligible member until no move narrows the gap (Kafka's UniformAssignor's goals)."""
    out: dict[str, Assignment] = {m: {} for m in members}
    load = {m: 0 for m in members}
    all_partitions = [(t, p) for t in sorted(partitions) for p in range(partitions[t])
                      if any(t in subs for subs in members.values())]
    eligible_members = [m for m in sorted(members) if members[m]]
    if not eligible_members:
        return out
    fair = -(-len(all_partitions) // len(eligible_members))  # ceiling
    taken: set[tuple[bytes, int]] = set()
    for m in sorted(members):
        for t, parts in sorted(previous.get(m, {}).items()):
            if t not in members[m] or t not in partitions:
                continue
            for p in sorted(parts):
                if p < partitions[t] and load[m] < fair and (t, p) not in taken:
                    out[m].setdefault(t, set()).add(p)
                    load[m] += 1
                    taken.add((t, p))
    for t, p in all_partitions:
        if (t, p) in taken:
            continue
        candidates = [m for m in eligible_members if t in members[m]]
        m = min(candidates, key=lambda c: (load[c], c))
        out[m].setdefault(t, set()).add(p)
        load[m] += 1
    _balance(out, load, members)
    return out


def _balance(out: dict[str, Assignment], load: dict[str, int], members: Subscriptions) -> None:
    while True:
        moved = False
        for heavy in sorted(load, key=lambda m: (-load[m], m)):
            for t in sorted(out[heavy]):
                light = [m for m in members if t in members[m] and load[m] + 1 < load[heavy]]
                if not light or not out[heavy][t]:
                    continue
                target = min(light, key=lambda c: (load[c], c))
                p = max(out[heavy][t])
                out[heavy][t].discard(p)
                if not out[heavy][t]:
                    del out[heavy][t]
                out[target].setdefault(t, set()).add(p)
                load[heavy] -= 1
                load[target] += 1
                moved = True
                break
            if moved:
                break
        if not moved:
            return


def range_(members: Subscriptions, partitions: Partitions, previous: dict[str, Assignment]) -> dict[str, Assignment]:
    """Per topic, the members subscribed to it (by member id) get contiguous ranges; the first
    `count % members` get one more (the classic range assignor's layout, computed on the broker)."""
    out: dict[str, Assignment] = {m: {} for m in members}
    for t in sorted(partitions):
        subscribers = sorted(m for m in members if t in members[m])
        if not subscribers:
            continue
        per, extra = divmod(partitions[t], len(subscribers))
        start = 0
        for i, m in enumerate(subscribers):
            n = per + (1 if i < extra else 0)
            if n:
                out[m][t] = set(range(start, start + n))
            start += n
    return out


Assignor = Callable[[Subscriptions, Partitions, dict[str, Assignment]], dict[str, Assignment]]
ASSIGNORS: dict[str, Assignor] = {"uniform": uniform, "range": range_}
# Kafka's class names for group.consumer.assignors map to the same assignors.
CLASS_NAMES = {"org.apache.kafka.coordinator.group.assignor.UniformAssignor": "uniform",
               "org.apache.kafka.coordinator.group.assignor.RangeAssignor": "range"}
