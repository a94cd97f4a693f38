"""A Prometheus histogram kept by a scrape-time tally: cumulative buckets, sum and count per
label value, rendered as one `HistogramMetricFamily`."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client.core import HistogramMetricFamily


class TallyHistogram:
    """Observations by one label's value (or none: `label_name=None`, value `""`)."""

    def __init__(self, bounds: Sequence[float], *, shown: Sequence[str] = ()) -> None:
        """`shown`: values rendered even before their first observation (all zero)."""
        self.bounds = tuple(bounds)
        self.buckets: dict[str, list[int]] = {value: [0] * len(self.bounds) for value in shown}
        self.sums: dict[str, float] = dict.fromkeys(shown, 0.0)
        self.counts: dict[str, int] = dict.fromkeys(shown, 0)

    def __contains__(self, value: str) -> bool:
        return value in self.counts

    def __len__(self) -> int:
        return len(self.counts)

    def observe(self, value: str, amount: float) -> None:
        buckets = self.buckets.setdefault(value, [0] * len(self.bounds))
        for index, bound in enumerate(self.bounds):
            if amount <= bound:
                buckets[index] += 1
        self.sums[value] = self.sums.get(value, 0.0) + amount
        self.counts[value] = self.counts.get(value, 0) + 1

    def family(
        self, name: str, documentation: str, label_name: str | None
    ) -> HistogramMetricFamily:
        labels = [label_name] if label_name else []
        family = HistogramMetricFamily(name, documentation, labels=labels)
        for value, counts in sorted(self.buckets.items()):
            pairs = [(repr(bound), float(n)) for bound, n in zip(self.bounds, counts, strict=True)]
            pairs.append(("+Inf", float(self.counts[value])))
            family.add_metric([value] if label_name else [], pairs, self.sums[value])
        return family
