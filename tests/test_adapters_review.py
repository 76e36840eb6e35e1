"""Outside calls from the second safety review: HLA typos cost only HLA; BOMs are not genes."""

from __future__ import annotations

from pathlib import Path

from pgx import load_profile


def _tsv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "calls.tsv"
    path.write_bytes(text.encode("utf-8"))
    return path


def test_hla_typo_costs_only_its_gene(tmp_path: Path) -> None:
    """'*5701 negative' is a warning with file and line; CYP2C19 still loads."""
    path = _tsv(tmp_path, "CYP2C19\t*1/*2\nHLA-B\t\t*5701 negative\n")
    profile = load_profile(outside_calls=path)
    assert profile.germline["CYP2C19"].diplotype == "*1/*2"
    assert "HLA-B" not in profile.germline or profile.germline["HLA-B"].carriers is None
    assert any(
        f"{path}:2" in w and "*5701" in w
        for w in profile.warnings
        + tuple(w for r in profile.germline.values() if r.call for w in r.call.warnings)
    )


def test_hla_free_text_phenotype_is_a_bad_line(tmp_path: Path) -> None:
    """'HLA-B *57:01 negative' (space after the gene) is not read as a phenotype term."""
    path = _tsv(tmp_path, "HLA-B\t\tHLA-B *57:01 negative\n")
    profile = load_profile(outside_calls=path)
    result = profile.germline.get("HLA-B")
    assert result is None or (result.phenotype is None and result.carriers is None)


def test_byte_order_mark_is_stripped(tmp_path: Path) -> None:
    """Excel's byte-order mark does not become part of the first gene symbol."""
    path = _tsv(tmp_path, "\ufeffCYP2C19\t*2/*2\n")
    assert load_profile(outside_calls=path).germline["CYP2C19"].diplotype == "*2/*2"
