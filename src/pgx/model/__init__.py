"""The model: data only — profile, rule language, knowledge tables, report, three-valued truth.

Frozen attrs classes and pure parsers of their notations (diplotypes, protein changes). The
model imports nothing else of pgx: no file reading, no evaluation, no rendering. The few
documented methods that need those (``Report.to_json()``, ``Report.to_markdown()``,
``RuleSet.compiled``...) delegate to the layer that owns them (see ``_ports``).
"""
