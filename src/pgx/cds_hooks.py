"""CDS Hooks cards from a report; the renderer lives in `pgx.render`.

This module is the documented import path ``pgx.cds_hooks``.
"""

from pgx.render._cds_hooks import cards

__all__ = ["cards"]
