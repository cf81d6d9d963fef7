"""Targets a benchmark's figures must meet: checked and printed where they are measured, and counted.

A full run (``padserver bench …``) fails when a figure misses its target. A smoke run (``--smoke``, a few
seconds, on whatever machine CI has) cannot speak for timing, so there a figure only has to be sane: a
number, and within a generous bound that only a broken measurement or a broken product would cross. Both
are printed, so a smoke run still shows how near the targets it came.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Target:
    name: str
    value: float
    unit: str
    at_most: float | None
    at_least: float | None
    sane: float | None  # the smoke run's bound, on the same side as the target

    def met(self) -> bool:
        if not math.isfinite(self.value):
            return False
        if self.at_most is not None and self.value > self.at_most:
            return False
        return not (self.at_least is not None and self.value < self.at_least)

    def is_sane(self) -> bool:
        if not math.isfinite(self.value):
            return False
        if self.sane is None:
            return True
        return self.value <= self.sane if self.at_most is not None else self.value >= self.sane


class Targets:
    """The targets checked in one ``padserver bench`` run."""

    def __init__(self) -> None:
        self.smoke = False
        self.checked: list[Target] = []

    def expect(
        self,
        name: str,
        value: float,
        unit: str = "",
        *,
        at_most: float | None = None,
        at_least: float | None = None,
        sane: float | None = None,
    ) -> bool:
        """Check ``value`` against its target (``at_most`` or ``at_least``), print the verdict, and keep it.
        ``sane`` is the smoke run's bound; without it a smoke run asks only for a finite number."""
        target = Target(name, float(value), unit, at_most, at_least, sane)
        self.checked.append(target)
        bound = f"≤ {at_most:g}" if at_most is not None else f"≥ {at_least:g}"
        if target.met():
            verdict = "met"
        elif self.smoke and target.is_sane():
            verdict = "missed (a smoke run: only its sanity counts)"
        else:
            verdict = "MISSED" if not self.smoke else "NOT SANE"
        unit = f" {unit}" if unit else ""
        print(f"  target {name}: {target.value:.4g}{unit} (target {bound}{unit}) — {verdict}")
        return self.passed(target)

    def passed(self, target: Target) -> bool:
        return target.is_sane() if self.smoke else target.met()

    def failed(self) -> list[Target]:
        return [t for t in self.checked if not self.passed(t)]


TARGETS = Targets()


def expect(name: str, value: float, unit: str = "", **bounds) -> bool:
    """`Targets.expect` on this run's targets."""
    return TARGETS.expect(name, value, unit, **bounds)
