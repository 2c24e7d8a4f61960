"""Check a report in a real browser: headless Chromium (Debian's ``chromium`` package).

:func:`check_page` opens a copy of a report with a small script added that
measures, after the page has loaded: horizontal overflow of the page, images
that failed to load, and whether the simulated-data banner (on a page of
real figures, the real-data banner) is inside the first screen.
``print_layout=True`` applies the page's print stylesheet on screen at the
A4 text width, so that the same measurements hold for print.
:func:`screenshot` saves the first screen as PNG.

Only Chromium's own command line is used (``--dump-dom``, ``--screenshot``):
no driver, no browser download, nothing beyond the Debian package.

Run ``python -m smartcity_utils.report.browser REPORT.html`` to check a report
and save ``screenshot-<report>.png`` beside it. A page that passed, unchanged
since (the same bytes, the same code, the same Chromium binary), with its
screenshot still there, is not opened again (``--force`` opens it anyway).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from smartcity_utils.report.page import script_hash

#: A4 is 210 mm wide; the print stylesheet's margins are 12 mm each side:
#: 186 mm of text width, which is 703 CSS pixels at 96 px per inch.
A4_TEXT_WIDTH_PX = round((210 - 2 * 12) / 25.4 * 96)

#: The first screen of a laptop: 1280 x 800 CSS pixels.
SCREEN = (1280, 800)

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--mute-audio", "--disable-extensions")

_CHECK_JS = """
<script>
window.addEventListener('load', function () {
  var doc = document.documentElement, width = doc.clientWidth;
  var wide = [];
  document.querySelectorAll('body *').forEach(function (el) {
    var r = el.getBoundingClientRect();
    if (r.width && r.right > width + 1 && wide.length < 8)
      wide.push(el.tagName + '.' + el.className + ' ' + Math.round(r.right));
  });
  var images = Array.prototype.map.call(document.images, function (img) {
    return {loaded: img.complete && img.naturalWidth > 0, alt: img.alt, width: img.getBoundingClientRect().width};
  });
  // The banner that says whether the numbers are simulated or real: a page of real figures has the real one.
  var simulated = document.querySelector('.simulated-banner');
  var banner = simulated || document.querySelector('.real-banner');
  var box = banner ? banner.getBoundingClientRect() : null;
  var style = banner ? getComputedStyle(banner) : null;
  var result = {
    viewport: [width, window.innerHeight], scroll_width: doc.scrollWidth,
    overflow: doc.scrollWidth > width, wide_elements: wide, images: images,
    banner_present: !!simulated, real_banner_present: !simulated && !!banner,
    banner_visible: !!(box && box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight &&
                       style.visibility !== 'hidden' && style.display !== 'none' && parseFloat(style.opacity) > 0.5),
    banner_top: box ? box.top : null, lang: doc.lang, scripts: document.scripts.length - 1
  };
  var out = document.createElement('pre');
  out.id = 'browser-check-result';
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
});
</script>
"""

_RESULT = re.compile(r'<pre id="browser-check-result">(.*?)</pre>', re.S)


class BrowserMissing(RuntimeError):
    """No Chromium on this machine."""


def find_chromium() -> str:
    """Path of the Chromium binary.

    Raises:
        BrowserMissing: with the command that installs it.
    """
    for name in (os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser"):
        if name and (path := shutil.which(name)):
            return path
    raise BrowserMissing("Chromium not found: install it with `apt-get install -y chromium` "
                         "(as root; `make test` does this), or set CHROMIUM to its path")


def _run(args: list[str], timeout: int = 120) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="sc-chromium-") as profile:
        cmd = [find_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def check_page(html_path: str | os.PathLike[str], width: int = SCREEN[0], height: int = SCREEN[1],
               print_layout: bool = False) -> dict:
    """Load a report in headless Chromium and measure it.

    Args:
        html_path: The report page.
        width: Window width in CSS pixels.
        height: Window height in CSS pixels.
        print_layout: Apply the page's ``@media print`` rules on screen (use
            with ``width=A4_TEXT_WIDTH_PX``).

    Returns:
        ``overflow`` (bool), ``wide_elements``, ``images`` (``loaded``,
        ``alt``), ``banner_present`` (the simulated-data banner), ``real_banner_present`` (the real-data
        banner of a page of real figures, without a simulated one), ``banner_visible`` and ``banner_top`` (of
        whichever of the two the page has), ``lang``.

    Raises:
        BrowserMissing: without Chromium.
        RuntimeError: when the page gave no result (Chromium's stderr attached).
    """
    source = Path(html_path)
    page = source.read_text(encoding="utf-8")
    if print_layout:
        page = page.replace("@media print{", "@media all{")
    page = page.replace("</body>", _CHECK_JS + "</body>", 1)
    # The page's policy lets no script run; the copy lets the check's own script run, and no other.
    check = re.search(r"<script>(.*)</script>", _CHECK_JS, re.S).group(1)
    page = page.replace("script-src 'none'", f"script-src {script_hash(check)}", 1)
    # The copy sits beside the original, so relative links resolve the same way.
    fd, name = tempfile.mkstemp(prefix=".browser-check-", suffix=".html", dir=source.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(page)
        done = _run([f"--window-size={width},{height}", "--virtual-time-budget=10000", "--dump-dom",
                     Path(name).resolve().as_uri()])
    finally:
        os.unlink(name)
    found = _RESULT.search(done.stdout)
    if not found:
        raise RuntimeError(f"Chromium returned no measurement (exit {done.returncode}): {done.stderr[-1500:]}")
    import html

    return json.loads(html.unescape(found.group(1)))


def screenshot(html_path: str | os.PathLike[str], png_path: str | os.PathLike[str],
               width: int = SCREEN[0], height: int = SCREEN[1]) -> Path:
    """Save the first screen of a report as PNG.

    Raises:
        BrowserMissing: without Chromium.
        RuntimeError: when no image was written.
    """
    target = Path(png_path).resolve()
    target.unlink(missing_ok=True)
    done = _run([f"--window-size={width},{height}", f"--screenshot={target}",
                 Path(html_path).resolve().as_uri()])
    if not target.is_file() or not target.stat().st_size:
        raise RuntimeError(f"Chromium wrote no screenshot (exit {done.returncode}): {done.stderr[-1500:]}")
    return target


def _check_stamp(path: Path) -> Path:
    """Where the last passed check of a page is kept: beside the reports' own stamps."""
    from smartcity_utils.report.jobs import STAMP_DIRNAME

    return path.parent / STAMP_DIRNAME / f"browser-{path.stem}.json"


def _check_digest(path: Path) -> str:
    """The page's bytes, the code and the Chromium binary: what decides the check and the screenshot."""
    import hashlib

    from smartcity_utils.freshness import code_version

    binary = Path(find_chromium()).resolve()
    info = binary.stat()
    payload = json.dumps({"page": hashlib.sha256(path.read_bytes()).hexdigest(), "code": code_version(),
                          "chromium": [str(binary), info.st_size, info.st_mtime_ns]})
    return hashlib.sha256(payload.encode()).hexdigest()


def check_report(path: Path, force: bool = False) -> tuple[bool, list[str]]:
    """Check a report at 1280 px and at A4 width and save its screenshot; the lines to print, and whether it passed.

    A page that passed before and has not changed since is not opened again: its lines are those of that
    check. A page that failed is checked again on every run.
    """
    from smartcity_utils.tables import atomic_write

    shot_path = path.with_name(f"screenshot-{path.stem}.png")
    stamp, digest = _check_stamp(path), _check_digest(path)
    if not force and shot_path.is_file():
        try:
            kept = json.loads(stamp.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            kept = {}
        if kept.get("digest") == digest and isinstance(kept.get("lines"), list):
            return True, [*kept["lines"][:-1], f"{kept['lines'][-1]} (page unchanged since it passed; --force "
                                               "checks again)"]
    lines, ok_all = [], True
    for label, kwargs in (("1280 px", {}), ("A4 print", {"width": A4_TEXT_WIDTH_PX, "print_layout": True})):
        result = check_page(path, **kwargs)
        broken = [i for i in result["images"] if not i["loaded"]]
        ok = not result["overflow"] and not broken and result["banner_visible"]
        ok_all &= ok
        lines.append(f"{path.name} at {label}: {'ok' if ok else 'PROBLEM'} (overflow {result['overflow']}, "
                     f"{len(result['images']) - len(broken)}/{len(result['images'])} images, "
                     f"banner visible {result['banner_visible']})")
    lines.append(f"screenshot: {screenshot(path, shot_path)}")
    if ok_all:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(stamp, json.dumps({"digest": digest, "lines": lines}, indent=1))
    else:
        stamp.unlink(missing_ok=True)
    return ok_all, lines


def main(argv: list[str] | None = None) -> int:
    """Check reports at 1280 px and at A4 width, and save a screenshot of each beside it (``--force``: every page).

    Status 0 when every page passed, 1 when one did not, 2 (with one line) without Chromium or a page.
    """
    import argparse

    parser = argparse.ArgumentParser(prog="python -m smartcity_utils.report.browser", description=main.__doc__)
    parser.add_argument("pages", nargs="+", type=Path, help="report pages (HTML)")
    parser.add_argument("--force", action="store_true", help="open every page, changed or not")
    args = parser.parse_args(argv)
    missing = [str(page) for page in args.pages if not page.is_file()]
    if missing:
        print(f"browser check: no such page: {', '.join(missing)}; render it first (smartcity report)",
              file=sys.stderr)
        return 2
    status = 0
    try:
        for page in args.pages:
            ok, lines = check_report(page, force=args.force)
            status |= not ok
            print("\n".join(lines))
    except BrowserMissing as exc:
        print(f"browser check: {exc}", file=sys.stderr)
        return 2
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
