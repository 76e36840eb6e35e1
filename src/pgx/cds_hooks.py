"""CDS Hooks cards from a report; the renderer lives in `pgx.render`.

This module is the documented import path ``pgx.cds_hooks``.
"""

from pgx.render._cds_hooks import RULE_EXTENSION, cards, service_cards

__all__ = ["RULE_EXTENSION", "cards", "service_cards"]
