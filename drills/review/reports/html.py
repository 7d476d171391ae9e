"""A single self-contained HTML file: inline CSS, the chart as inline SVG, no network."""

from __future__ import annotations

from html import escape

from drills.review.reports.chart import timeline_svg
from drills.review.reports.document import Block
from drills.review.reports.labels import t
from scoring.report import Report

CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",system-ui,sans-serif;margin:2rem auto;
max-width:1100px;color:#212121;line-height:1.5;padding:0 1rem}
h1{font-size:1.6rem;border-bottom:3px solid #1565c0;padding-bottom:.3rem}
h2{font-size:1.25rem;margin-top:2rem;color:#0d47a1}
h3{font-size:1.05rem;margin-top:1.2rem}
table{border-collapse:collapse;width:100%;margin:.6rem 0;font-size:.9rem}
th,td{border:1px solid #cfd8dc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eceff1}
.banner{padding:.5rem 1rem;font-weight:bold;border-radius:4px;display:inline-block}
.draft{background:#fff3e0;color:#e65100;border:2px dashed #e65100}
.signed{background:#e8f5e9;color:#2e7d32;border:2px solid #2e7d32}
.chart{overflow-x:auto;border:1px solid #cfd8dc;margin:.6rem 0}
table.cover{width:auto;min-width:50%;font-size:1rem;margin:1rem 0 1.5rem}
table.cover th{width:9em;background:#e3f2fd}
pre{background:#f5f5f5;padding:.6rem;overflow-x:auto;font-size:.8rem}
@media print{.chart{overflow:visible}table.cover{page-break-after:always}}
"""


def _inline(text: str, strong: bool = False) -> str:
    """Text as written (escaped); emphasis comes from the block, never from the text."""
    return f"<strong>{escape(text)}</strong>" if strong and text else escape(text)


def render_html(report: Report, blocks: list[Block], lang: str) -> str:
    body: list[str] = []
    for block in blocks:
        if block.kind == "heading":
            body.append(f"<h{block.level}>{escape(block.text)}</h{block.level}>")
        elif block.kind == "banner":
            cls = "draft" if report.draft else "signed"
            body.append(f'<p class="banner {cls}">{escape(block.text)}</p>')
        elif block.kind == "para":
            body.append(f"<p>{_inline(block.text, block.strong)}</p>")
        elif block.kind == "list":
            body.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in block.items) + "</ul>")
        elif block.kind == "table":
            if not block.rows:
                body.append(f"<p>{t('none', lang)}</p>")
                continue
            head = "".join(f"<th>{escape(h)}</th>" for h in block.headers)
            last = len(block.rows) - 1
            rows = "".join(
                "<tr>"
                + "".join(
                    f"<td>{_inline(c, block.strong_last_row and n == last)}</td>" for c in row
                )
                + "</tr>"
                for n, row in enumerate(block.rows)
            )
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif block.kind == "cover":
            rows = "".join(
                f"<tr><th>{escape(row[0])}</th><td>{escape(row[1])}</td></tr>" for row in block.rows
            )
            body.append(f'<table class="cover"><tbody>{rows}</tbody></table>')
        elif block.kind == "code":
            body.append(f"<pre>{escape(block.text)}</pre>")
        elif block.kind == "chart":
            body.append(f'<div class="chart">{timeline_svg(report, lang)}</div>')
    title = escape(blocks[0].text if blocks else t("report", lang))
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (
        f'<!DOCTYPE html>\n<html lang="{html_lang}"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{CSS}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )
