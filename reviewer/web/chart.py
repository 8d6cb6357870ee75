"""The statistics chart, drawn on the server as SVG geometry (no JavaScript, no CDN): grouped bars per unit."""

from __future__ import annotations

from dataclasses import dataclass

from reviewer.audit.statistics import UnitStats

SERIES = [
    ("submitted", "提交", "#4a6fa5"),
    ("approved", "批准", "#3c8d5a"),
    ("returned", "退回修改", "#a86b00"),
    ("rejected", "不予发布", "#b0413e"),
    ("scan_failed", "扫描失败", "#7a5c99"),
    ("alerts", "发布后预警", "#444444"),
]


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    color: str
    title: str  # tooltip: unit, series, value
    value: int = 0  # written above the bar, so the chart reads without hovering


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    top: int
    base: float
    bars: list[Bar]
    labels: list[tuple[float, str]]  # x centre, unit name
    ticks: list[tuple[float, int]]  # y, value
    legend: list[tuple[int, str, str]]  # x, label, color
    empty: bool = False  # nothing happened in the period: the page says so instead of drawing empty axes


def bar_chart(units: list[UnitStats], height: int = 320) -> Chart:
    group_w = max(90, 28 * len(SERIES) + 20)
    left, top, bottom = 48, 40, 40
    width = left + group_w * max(1, len(units)) + 20
    plot_h = height - top - bottom
    peak = max([1, *(int(getattr(u, name)) for u in units for name, _, _ in SERIES)])
    step = _nice_step(peak)
    scale_max = step * -(-peak // step)
    base = top + plot_h
    bars, labels = [], []
    bar_w = (group_w - 20) / len(SERIES)
    for gi, u in enumerate(units):
        gx = left + gi * group_w + 10
        for si, (name, label, color) in enumerate(SERIES):
            value = int(getattr(u, name))
            h = plot_h * value / scale_max
            bars.append(Bar(round(gx + si * bar_w, 1), round(base - h, 1), round(bar_w - 3, 1), round(h, 1), color,
                            f"{u.unit_name} · {label}：{value}", value))
        labels.append((gx + (group_w - 20) / 2, u.unit_name))
    ticks = [(round(base - plot_h * v / scale_max, 1), v) for v in range(0, scale_max + 1, step)]
    legend = [(left + i * 100, label, color) for i, (_, label, color) in enumerate(SERIES)]
    empty = not units or all(int(getattr(u, name)) == 0 for u in units for name, _, _ in SERIES)
    return Chart(max(width, left + 100 * len(SERIES)), height, top, base, bars, labels, ticks, legend, empty)


def _nice_step(peak: int) -> int:
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000):
        if peak / step <= 6:
            return step
    return 10 ** len(str(peak))
