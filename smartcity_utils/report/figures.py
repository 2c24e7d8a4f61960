"""Figures as a report shows them: the simulated-data stamp, and the figure inlined as an image.

Every chart of :mod:`smartcity_utils.report.plots` passes through here: a
figure built from simulated rows is stamped with the marker in the report's
language (:func:`mark_simulated`), so that it cannot be mistaken for official
scores once cut out of its page, and a report shows it as an ``<img>`` data URI
(SVG or compressed PNG, the smaller) with a meaningful alt text (:func:`embed`).
"""

from __future__ import annotations

import base64
import html
import io
import math
import textwrap
from urllib.parse import quote

from matplotlib.figure import Figure

from smartcity_utils.report.texts import text


def marker_text(lang: str, partly: bool = False) -> str:
    """The simulated-data stamp in ``lang`` (from the report texts); "partly simulated" for a figure that draws
    points from real files beside simulated ones."""
    return text(lang, "marker_partly" if partly else "marker")



def _png(fig: Figure, dpi: int = 100) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _compressed_png(fig: Figure, dpi: int = 110) -> bytes:
    """PNG reduced to a 256-colour palette: the figures use a few flat colours, so nothing visible is lost."""
    from PIL import Image

    image = Image.open(io.BytesIO(_png(fig, dpi))).convert("RGB")
    buffer = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _svg(fig: Figure) -> bytes:
    """SVG with text kept as text (searchable, selectable, small) and no time stamp."""
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "smartcity"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


def figure_alt(fig: Figure) -> str:
    """A description of ``fig`` from its own texts: title, axis labels, stamp."""
    parts = []
    title = fig.get_suptitle().strip() if hasattr(fig, "get_suptitle") else ""
    if title:
        parts.append(title)
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        bits = [b for b in (ax.get_title(), ax.get_ylabel(), ax.get_xlabel()) if b]
        if bits:
            parts.append(" / ".join(bits))
    parts += [t.get_text() for t in fig.texts if t.get_gid() == _MARKER_GID][:1]
    return ". ".join(dict.fromkeys(p for p in parts if p))


class FigureHTML:
    """A figure inlined as an ``<img>`` data URI with its alt text: SVG or compressed PNG, the smaller."""

    def __init__(self, fig: Figure, alt: str | None = None, caption: str = "") -> None:
        self.alt = alt or figure_alt(fig)
        self.caption = caption
        svg = _svg(fig)
        svg_uri = "data:image/svg+xml," + quote(svg.decode("utf-8"), safe=" =:/;,.-_()'!*+?@~")
        png = _compressed_png(fig)
        png_uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        self.format, self.uri = ("svg", svg_uri) if len(svg_uri) <= len(png_uri) else ("png", png_uri)
        width, height = fig.get_size_inches()
        self.aspect = f"{width:.3g} / {height:.3g}"
        # Shown at the size it was drawn for: an 8-inch figure fills the 52rem column, a smaller one less.
        self.max_width = f"{min(52.0, 6.5 * width):.3g}rem"

    def _repr_html_(self) -> str:
        caption = f"<figcaption>{html.escape(self.caption)}</figcaption>" if self.caption else ""
        return (f'<figure class="figure"><img src="{html.escape(self.uri, quote=True)}" '
                f'alt="{html.escape(self.alt, quote=True)}" '
                f'style="aspect-ratio:{self.aspect};max-width:min(100%,{self.max_width})">'
                f"{caption}</figure>")

    def __repr__(self) -> str:
        return f"<figure: {self.alt}>"


def embed(fig: Figure, alt: str | None = None, caption: str = "") -> FigureHTML:
    """Wrap ``fig`` for display in a report (an ``<img>`` with a meaningful ``alt``)."""
    return FigureHTML(fig, alt, caption)


def _register_notebook_display() -> None:
    """Show figures as images in notebooks and HTML reports.

    The figures here are built without pyplot (safe in workers and tests), so
    IPython's inline backend never learns about them; register a PNG
    formatter for ``Figure`` when running inside a kernel.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of the kernel only
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["text/html"].for_type(Figure, lambda fig: embed(fig)._repr_html_())


_register_notebook_display()
_MARKER_GID = "simulated-marker"


#: Width of a character of the watermark (DejaVu Sans Bold, capitals and lower case mixed) in font sizes:
#: a generous average, so that the estimated text is never shorter than the drawn one.
_CHAR_WIDTH = 0.66

#: Angle of the watermark across the figure, in degrees.
_WATERMARK_ANGLE = 25

#: Largest font size of the watermark (points) and the share of the figure's width and height it may cover.
_WATERMARK_SIZE = 26
_WATERMARK_COVER = 0.85


def watermark_size(fig: Figure, words: str) -> float:
    """The font size (points) at which ``words``, rotated across the figure, stay inside it on every side."""
    width, height = (72 * v * _WATERMARK_COVER for v in fig.get_size_inches())
    angle = math.radians(_WATERMARK_ANGLE)
    # A line of n characters at size s is about n * 0.66 * s long and s high; rotated, its box is
    # (long cos a + high sin a) wide and (long sin a + high cos a) tall.
    long = len(words) * _CHAR_WIDTH
    fits = min(width / (long * math.cos(angle) + math.sin(angle)),
               height / (long * math.sin(angle) + math.cos(angle)))
    return float(min(_WATERMARK_SIZE, fits))


def mark_simulated(fig: Figure, lang: str, partly: bool = False) -> Figure:
    """Stamp ``fig`` with the simulated-data marker (idempotent).

    Adds a large, rotated, semi-transparent watermark across the figure, sized
    to stay inside it (:func:`watermark_size`), and a red banner line at the
    top, both reading the marker in ``lang``.

    Args:
        fig: The figure to mark.
        lang: Language of the stamp.
        partly: The figure draws real points too: the stamp says "partly simulated".

    Returns:
        The same figure.
    """
    if any(t.get_gid() == _MARKER_GID for t in fig.texts):
        return fig
    marker = marker_text(lang, partly)
    fig.text(0.5, 0.5, marker, ha="center", va="center", rotation=_WATERMARK_ANGLE,
             fontsize=watermark_size(fig, marker), color="red", alpha=0.18, weight="bold", zorder=1000,
             gid=_MARKER_GID)
    fig.text(0.5, 0.995, marker, ha="center", va="top", fontsize=11, color="white",
             weight="bold", gid=_MARKER_GID,
             bbox={"boxstyle": "square,pad=0.3", "facecolor": "red", "edgecolor": "none"})
    return fig


#: Characters of a title per inch of figure width at the title's size (12 pt): long regency names wrap
#: onto a second line instead of running off the figure.
_TITLE_CHARS_PER_INCH = 10


def wrap_title(fig: Figure, title: str) -> str:
    """``title`` broken into lines that fit the figure's width."""
    width = max(20, int(fig.get_figwidth() * _TITLE_CHARS_PER_INCH))
    return "\n".join(textwrap.fill(line, width) for line in title.splitlines())


def localise_ticks(fig: Figure, lang: str) -> None:
    """Number the axes with the page's decimal mark (``0,5`` in Indonesian), as every number on the page is;
    matplotlib's own choice of ticks and decimals, and its minus sign U+2212, stay."""
    from matplotlib.ticker import ScalarFormatter


    mark = text(lang, "number_decimal_mark")

    class _Marked(ScalarFormatter):
        def __call__(self, x, pos=None):  # noqa: D401 - matplotlib's formatter hook
            return super().__call__(x, pos).replace(".", mark)

    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if type(axis.get_major_formatter()) is ScalarFormatter:
                axis.set_major_formatter(_Marked())


def finish(fig: Figure, title: str | None, simulated: bool, lang: str, partly: bool = False) -> Figure:
    """The last step of every chart: the title (wrapped to the figure's width), the axes numbered in ``lang``,
    and the simulated-data stamp when ``simulated`` ("partly simulated" when ``partly``)."""
    localise_ticks(fig, lang)
    title = wrap_title(fig, title) if title else ""
    if simulated:
        # The layout engine makes room for a suptitle but not for figure texts:
        # an empty first suptitle line keeps the banner's strip free.
        fig.suptitle("\n" + title)
        mark_simulated(fig, lang, partly)
    elif title:
        fig.suptitle(title)
    return fig
