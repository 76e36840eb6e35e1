"""Rendering reports and explanations for people and for other systems.

Renderers read the model (and may use the engine); they never read input files and never
change a report. JSON is the report's own serialisation (``pgx.io.report_to_dict``).
"""

from __future__ import annotations

from pgx.render._cds_hooks import cards, service_cards
from pgx.render._fhir import report_bundle as fhir_bundle
from pgx.render._html import render_html as html
from pgx.render._markdown import render as markdown
from pgx.render._markdown import render_explanation as explanation_markdown
from pgx.render._relevance import undecided_dict as undecided_summary

__all__ = [
    "cards",
    "explanation_markdown",
    "fhir_bundle",
    "html",
    "markdown",
    "service_cards",
    "undecided_summary",
]
