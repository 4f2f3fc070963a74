"""What the load and bench reports share: their jinja2 templates (templates/, every value
autoescaped), table cells, number formatting and plots embedded as PNG data, so each page
stands alone (no CDN, no scripts)."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from matplotlib.figure import Figure


@dataclass(frozen=True)
class Tagged:
    """A table cell shown in a `<span>` of a CSS class (a verdict, a severity)."""

    text: str
    css_class: str


@dataclass(frozen=True)
class Image:
    """A plot as base64 PNG data, with its caption."""

    caption: str
    data: str


def image(fig: Figure, caption: str) -> Image:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return Image(caption, base64.b64encode(buffer.getvalue()).decode("ascii"))


def num(value: float | int | None) -> str:
    """A figure as a table shows it: integers plain, small values to 3 places."""
    if value is None:
        return "—"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value)}"
    return f"{value:.3f}" if abs(value) < 1 else f"{value:.2f}"


def render_page(template: str, **context: Any) -> str:
    """`templates/<template>` rendered with `context`, every value escaped."""
    return _ENV.get_template(template).render(**context)


_ENV = Environment(
    loader=PackageLoader("chirp.loadtests", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_ENV.tests["tagged"] = lambda value: isinstance(value, Tagged)
