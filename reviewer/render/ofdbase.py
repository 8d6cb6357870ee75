"""What the OFD drawer (ofd.py) and its resources (ofdres.py) share: numbers, matrices, colours, path data and the
advances of TextCodes, read strictly (NaN, infinities and malformed values are RenderError, never drawn somewhere
undefined), and the XML helpers."""

from __future__ import annotations

import math
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape

from reviewer.extract.ofd import _float
from reviewer.extract.ooxml import local
from reviewer.render.convert import RenderError

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_PATH_ARGS = {"S": ("M", 2), "M": ("M", 2), "L": ("L", 2), "B": ("C", 6), "Q": ("Q", 4), "A": ("A", 7), "C": ("Z", 0)}

def _unsupported(what: str) -> RenderError:
    return RenderError(f"OFD 文件使用了渲染核对不支持的{what}，无法按阅读器的样子绘制页面，未能核对显示内容，不得视为通过")


def mul(m: Matrix, n: Matrix) -> Matrix:
    """m applied first, then n (row vectors, as OFD and PDF write CTMs)."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])


def _num(value: str | None, default: float = 0.0) -> float:
    """An attribute's number (its first token); NaN and infinities are refused, never drawn somewhere undefined."""
    v = _float(value, default)
    if not math.isfinite(v):
        raise RenderError("OFD 文件中有无法解析的数值（坐标、字号、间距或透明度），未能核对显示内容，不得视为通过")
    return v


def _nums(text: str | None, n: int | None = None) -> list[float]:
    try:
        out = [float(t) for t in (text or "").split()]
    except ValueError:
        raise RenderError("OFD 文件中有无法解析的数值（坐标、矩阵或颜色），未能核对显示内容，不得视为通过") from None
    if not all(math.isfinite(v) for v in out):
        raise RenderError("OFD 文件中有无法解析的数值（坐标、矩阵或颜色），未能核对显示内容，不得视为通过")
    if n is not None and len(out) != n:
        raise RenderError("OFD 文件中有个数不对的数值（坐标、矩阵或颜色），未能核对显示内容，不得视为通过")
    return out


def _matrix(text: str | None) -> Matrix:
    if not text or not text.strip():
        return IDENTITY
    a, b, c, d, e, f = _nums(text, 6)
    return (a, b, c, d, e, f)


def _children(el: Element, name: str) -> list[Element]:
    return [c for c in el if local(str(c.tag)) == name]


def _first(el: Element | None, name: str) -> Element | None:
    found = _children(el, name) if el is not None else []
    return found[0] if found else None


def _deltas(delta: str | None, count: int, default: float) -> list[float]:
    """The advances between a TextCode's characters: DeltaX/DeltaY with the `g n v` repeat form; missing ones are
    `default` (the font's own advance, about the size for CJK text)."""
    out: list[float] = []
    tokens = (delta or "").split()
    i = 0
    while i < len(tokens) and len(out) < count - 1:
        if tokens[i] == "g":
            n, v = _nums(" ".join(tokens[i + 1 : i + 3]), 2)
            if not 0 <= n <= count:  # also NaN: a repeat count that cannot be right
                raise RenderError("OFD 文件中有无法解析的字符间距（DeltaX/DeltaY），未能核对显示内容，不得视为通过")
            out.extend([v] * int(n))
            i += 3
        else:
            out.extend(_nums(tokens[i], 1))
            i += 1
    return (out + [default] * count)[: max(0, count - 1)]


def _components(value: str) -> list[float]:
    """A colour's components: decimal, or hexadecimal with a leading # (both are allowed)."""
    try:
        out = [float(int(t[1:], 16)) if t.startswith("#") else float(t) for t in value.split()]
    except ValueError:
        out = [math.nan]
    if not all(math.isfinite(v) for v in out):
        raise RenderError("OFD 文件中有无法解析的颜色值，未能核对显示内容，不得视为通过")
    return out


def _fmt(m: Matrix) -> str:
    return " ".join(f"{v:.6g}" for v in m)


def _list(values: list[float]) -> str:
    return " ".join(f"{v:.4f}" for v in values)


def _path_data(el: Element | None) -> str:
    """OFD's abbreviated path (S/M x y, L x y, B x1 y1 x2 y2 x3 y3, Q x1 y1 x2 y2, A rx ry angle large sweep x y, C)
    as SVG path data."""
    tokens = (el.text or "").split() if el is not None else []
    out: list[str] = []
    i = 0
    while i < len(tokens):
        op = tokens[i]
        if op not in _PATH_ARGS:
            raise _unsupported(f"路径命令（{op[:10]}）")
        svg, n = _PATH_ARGS[op]
        args = _nums(" ".join(tokens[i + 1 : i + 1 + n]), n)
        out.append(svg + " " + " ".join(f"{a:g}" for a in args))
        i += 1 + n
    return escape(" ".join(out))
