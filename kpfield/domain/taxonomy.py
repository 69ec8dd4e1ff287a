"""The categories and perpetrator types a report can carry (default in resources/taxonomy.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpfield.errors import N_, ValidationError


@dataclass(frozen=True)
class Term:
    id: str
    label: str


@dataclass(frozen=True)
class Taxonomy:
    version: str
    categories: tuple[Term, ...]
    perpetrators: tuple[Term, ...]
    conflict_diamond_definition: str = ""

    @property
    def category_ids(self) -> set[str]:
        return {t.id for t in self.categories}

    @property
    def perpetrator_ids(self) -> set[str]:
        return {t.id for t in self.perpetrators}

    def label(self, term_id: str) -> str:
        for t in (*self.categories, *self.perpetrators):
            if t.id == term_id:
                return t.label
        return term_id

    @classmethod
    def from_json(cls, raw: Any) -> Taxonomy:
        try:
            if raw.get("schema") != "kpfield.taxonomy/1":
                raise ValueError("schema")
            cats = tuple(Term(str(t["id"]), str(t["label"])) for t in raw["categories"])
            perps = tuple(Term(str(t["id"]), str(t["label"])) for t in raw["perpetrators"])
            if not cats or not perps:
                raise ValueError("empty")
            return cls(
                str(raw.get("version", "")),
                cats,
                perps,
                str(raw.get("conflict_diamond_definition", "")),
            )
        except (AttributeError, KeyError, TypeError, ValueError):
            raise ValidationError(N_("The taxonomy is not valid.")) from None

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": "kpfield.taxonomy/1",
            "version": self.version,
            "conflict_diamond_definition": self.conflict_diamond_definition,
            "categories": [{"id": t.id, "label": t.label} for t in self.categories],
            "perpetrators": [{"id": t.id, "label": t.label} for t in self.perpetrators],
        }


def load_taxonomy(path: Path) -> Taxonomy:
    return Taxonomy.from_json(json.loads(path.read_text(encoding="utf-8")))
