"""arXiv's category taxonomy: codes, names, and the subject names OAI-PMH ``oai_dc`` writes for them.

``oai_dc`` gives a record's categories only as names in ``<dc:subject>``, and arXiv has written
them three ways over time: qualified by the archive (``Computer Science - Machine Learning``,
``Physics - Superconductivity``), with commas turned into semicolons (``Computer Science -
Distributed; Parallel; and Cluster Computing``), and, since the 2024 OAI service, the bare
category name (``Machine Learning``), which cs.LG and stat.ML share. A bare name that several
categories share is told apart by the record's ``setSpec`` headers (``cs:cs:LG``, ``physics:hep-th``).

The table follows arXiv's own taxonomy (arxiv.org/category_taxonomy, ``arxiv.taxonomy`` in
arxiv-base): every active category, the legacy bare archives old papers carry (``astro-ph``,
``cond-mat``, ``q-bio``), the defunct archives arXiv folded into categories, and the older
names arXiv's OAI used before categories were renamed.
"""

from __future__ import annotations

from collections.abc import Iterable

# Archives (the middle level; an OAI set ``group:archive``) and their names.
ARCHIVES: dict[str, str] = {
    "astro-ph": "Astrophysics",
    "cond-mat": "Condensed Matter",
    "cs": "Computer Science",
    "econ": "Economics",
    "eess": "Electrical Engineering and Systems Science",
    "gr-qc": "General Relativity and Quantum Cosmology",
    "hep-ex": "High Energy Physics - Experiment",
    "hep-lat": "High Energy Physics - Lattice",
    "hep-ph": "High Energy Physics - Phenomenology",
    "hep-th": "High Energy Physics - Theory",
    "math": "Mathematics",
    "math-ph": "Mathematical Physics",
    "nlin": "Nonlinear Sciences",
    "nucl-ex": "Nuclear Experiment",
    "nucl-th": "Nuclear Theory",
    "physics": "Physics",
    "q-bio": "Quantitative Biology",
    "q-fin": "Quantitative Finance",
    "quant-ph": "Quantum Physics",
    "stat": "Statistics",
}

# Every current category: code → name. Archives without subdivisions are categories themselves.
CATEGORIES: dict[str, str] = {
    "astro-ph.CO": "Cosmology and Nongalactic Astrophysics",
    "astro-ph.EP": "Earth and Planetary Astrophysics",
    "astro-ph.GA": "Astrophysics of Galaxies",
    "astro-ph.HE": "High Energy Astrophysical Phenomena",
    "astro-ph.IM": "Instrumentation and Methods for Astrophysics",
    "astro-ph.SR": "Solar and Stellar Astrophysics",
    "cond-mat.dis-nn": "Disordered Systems and Neural Networks",
    "cond-mat.mes-hall": "Mesoscale and Nanoscale Physics",
    "cond-mat.mtrl-sci": "Materials Science",
    "cond-mat.other": "Other Condensed Matter",
    "cond-mat.quant-gas": "Quantum Gases",
    "cond-mat.soft": "Soft Condensed Matter",
    "cond-mat.stat-mech": "Statistical Mechanics",
    "cond-mat.str-el": "Strongly Correlated Electrons",
    "cond-mat.supr-con": "Superconductivity",
    "cs.AI": "Artificial Intelligence",
    "cs.AR": "Hardware Architecture",
    "cs.CC": "Computational Complexity",
    "cs.CE": "Computational Engineering, Finance, and Science",
    "cs.CG": "Computational Geometry",
    "cs.CL": "Computation and Language",
    "cs.CR": "Cryptography and Security",
    "cs.CV": "Computer Vision and Pattern Recognition",
    "cs.CY": "Computers and Society",
    "cs.DB": "Databases",
    "cs.DC": "Distributed, Parallel, and Cluster Computing",
    "cs.DL": "Digital Libraries",
    "cs.DM": "Discrete Mathematics",
    "cs.DS": "Data Structures and Algorithms",
    "cs.ET": "Emerging Technologies",
    "cs.FL": "Formal Languages and Automata Theory",
    "cs.GL": "General Literature",
    "cs.GR": "Graphics",
    "cs.GT": "Computer Science and Game Theory",
    "cs.HC": "Human-Computer Interaction",
    "cs.IR": "Information Retrieval",
    "cs.IT": "Information Theory",
    "cs.LG": "Machine Learning",
    "cs.LO": "Logic in Computer Science",
    "cs.MA": "Multiagent Systems",
    "cs.MM": "Multimedia",
    "cs.MS": "Mathematical Software",
    "cs.NA": "Numerical Analysis",
    "cs.NE": "Neural and Evolutionary Computing",
    "cs.NI": "Networking and Internet Architecture",
    "cs.OH": "Other Computer Science",
    "cs.OS": "Operating Systems",
    "cs.PF": "Performance",
    "cs.PL": "Programming Languages",
    "cs.RO": "Robotics",
    "cs.SC": "Symbolic Computation",
    "cs.SD": "Sound",
    "cs.SE": "Software Engineering",
    "cs.SI": "Social and Information Networks",
    "cs.SY": "Systems and Control",
    "econ.EM": "Econometrics",
    "econ.GN": "General Economics",
    "econ.TH": "Theoretical Economics",
    "eess.AS": "Audio and Speech Processing",
    "eess.IV": "Image and Video Processing",
    "eess.SP": "Signal Processing",
    "eess.SY": "Systems and Control",
    "gr-qc": "General Relativity and Quantum Cosmology",
    "hep-ex": "High Energy Physics - Experiment",
    "hep-lat": "High Energy Physics - Lattice",
    "hep-ph": "High Energy Physics - Phenomenology",
    "hep-th": "High Energy Physics - Theory",
    "math-ph": "Mathematical Physics",
    "math.AC": "Commutative Algebra",
    "math.AG": "Algebraic Geometry",
    "math.AP": "Analysis of PDEs",
    "math.AT": "Algebraic Topology",
    "math.CA": "Classical Analysis and ODEs",
    "math.CO": "Combinatorics",
    "math.CT": "Category Theory",
    "math.CV": "Complex Variables",
    "math.DG": "Differential Geometry",
    "math.DS": "Dynamical Systems",
    "math.FA": "Functional Analysis",
    "math.GM": "General Mathematics",
    "math.GN": "General Topology",
    "math.GR": "Group Theory",
    "math.GT": "Geometric Topology",
    "math.HO": "History and Overview",
    "math.IT": "Information Theory",
    "math.KT": "K-Theory and Homology",
    "math.LO": "Logic",
    "math.MG": "Metric Geometry",
    "math.MP": "Mathematical Physics",
    "math.NA": "Numerical Analysis",
    "math.NT": "Number Theory",
    "math.OA": "Operator Algebras",
    "math.OC": "Optimization and Control",
    "math.PR": "Probability",
    "math.QA": "Quantum Algebra",
    "math.RA": "Rings and Algebras",
    "math.RT": "Representation Theory",
    "math.SG": "Symplectic Geometry",
    "math.SP": "Spectral Theory",
    "math.ST": "Statistics Theory",
    "nlin.AO": "Adaptation and Self-Organizing Systems",
    "nlin.CD": "Chaotic Dynamics",
    "nlin.CG": "Cellular Automata and Lattice Gases",
    "nlin.PS": "Pattern Formation and Solitons",
    "nlin.SI": "Exactly Solvable and Integrable Systems",
    "nucl-ex": "Nuclear Experiment",
    "nucl-th": "Nuclear Theory",
    "physics.acc-ph": "Accelerator Physics",
    "physics.ao-ph": "Atmospheric and Oceanic Physics",
    "physics.app-ph": "Applied Physics",
    "physics.atm-clus": "Atomic and Molecular Clusters",
    "physics.atom-ph": "Atomic Physics",
    "physics.bio-ph": "Biological Physics",
    "physics.chem-ph": "Chemical Physics",
    "physics.class-ph": "Classical Physics",
    "physics.comp-ph": "Computational Physics",
    "physics.data-an": "Data Analysis, Statistics and Probability",
    "physics.ed-ph": "Physics Education",
    "physics.flu-dyn": "Fluid Dynamics",
    "physics.gen-ph": "General Physics",
    "physics.geo-ph": "Geophysics",
    "physics.hist-ph": "History and Philosophy of Physics",
    "physics.ins-det": "Instrumentation and Detectors",
    "physics.med-ph": "Medical Physics",
    "physics.optics": "Optics",
    "physics.plasm-ph": "Plasma Physics",
    "physics.pop-ph": "Popular Physics",
    "physics.soc-ph": "Physics and Society",
    "physics.space-ph": "Space Physics",
    "q-bio.BM": "Biomolecules",
    "q-bio.CB": "Cell Behavior",
    "q-bio.GN": "Genomics",
    "q-bio.MN": "Molecular Networks",
    "q-bio.NC": "Neurons and Cognition",
    "q-bio.OT": "Other Quantitative Biology",
    "q-bio.PE": "Populations and Evolution",
    "q-bio.QM": "Quantitative Methods",
    "q-bio.SC": "Subcellular Processes",
    "q-bio.TO": "Tissues and Organs",
    "q-fin.CP": "Computational Finance",
    "q-fin.EC": "Economics",
    "q-fin.GN": "General Finance",
    "q-fin.MF": "Mathematical Finance",
    "q-fin.PM": "Portfolio Management",
    "q-fin.PR": "Pricing of Securities",
    "q-fin.RM": "Risk Management",
    "q-fin.ST": "Statistical Finance",
    "q-fin.TR": "Trading and Market Microstructure",
    "quant-ph": "Quantum Physics",
    "stat.AP": "Applications",
    "stat.CO": "Computation",
    "stat.ME": "Methodology",
    "stat.ML": "Machine Learning",
    "stat.OT": "Other Statistics",
    "stat.TH": "Statistics Theory",
}

# Bare archives that old papers still have as categories (arXiv's LEGACY_ARCHIVE_AS_PRIMARY/SECONDARY).
LEGACY_CATEGORIES: dict[str, str] = {
    "astro-ph": "Astrophysics",
    "cond-mat": "Condensed Matter",
    "q-bio": "Quantitative Biology",
}

# Alias pairs: one subject area under two codes (alias → canonical).
ALIASES: dict[str, str] = {
    "math.MP": "math-ph",
    "stat.TH": "math.ST",
    "math.IT": "cs.IT",
    "q-fin.EC": "econ.GN",
    "cs.SY": "eess.SY",
    "cs.NA": "math.NA",
}

# Defunct archives arXiv folded into categories: their names stand for the category.
SUBSUMED: dict[str, tuple[str, str]] = {
    "acc-phys": ("Accelerator Physics", "physics.acc-ph"),
    "adap-org": ("Adaptation, Noise, and Self-Organizing Systems", "nlin.AO"),
    "alg-geom": ("Algebraic Geometry", "math.AG"),
    "ao-sci": ("Atmospheric-Oceanic Sciences", "physics.ao-ph"),
    "atom-ph": ("Atomic, Molecular and Optical Physics", "physics.atom-ph"),
    "bayes-an": ("Bayesian Analysis", "physics.data-an"),
    "chao-dyn": ("Chaotic Dynamics", "nlin.CD"),
    "chem-ph": ("Chemical Physics", "physics.chem-ph"),
    "cmp-lg": ("Computation and Language", "cs.CL"),
    "comp-gas": ("Cellular Automata and Lattice Gases", "nlin.CG"),
    "dg-ga": ("Differential Geometry", "math.DG"),
    "funct-an": ("Functional Analysis", "math.FA"),
    "mtrl-th": ("Materials Theory", "cond-mat.mtrl-sci"),
    "patt-sol": ("Pattern Formation and Solitons", "nlin.PS"),
    "plasm-ph": ("Plasma Physics", "physics.plasm-ph"),
    "q-alg": ("Quantum Algebra and Topology", "math.QA"),
    "solv-int": ("Exactly Solvable and Integrable Systems", "nlin.SI"),
    "supr-con": ("Superconductivity", "cond-mat.supr-con"),
}

# Subject names arXiv's OAI wrote before categories were renamed (and cond-mat filed under "Physics").
LEGACY_SUBJECTS: dict[str, str] = {
    "Computer Science - Architecture": "cs.AR",
    "Computer Science - Learning": "cs.LG",
    "Computer Science - Other": "cs.OH",
    "Mathematics - Statistics": "math.ST",
    "Physics - History of Physics": "physics.hist-ph",
    "Physics - Mesoscopic Systems and Quantum Hall Effect": "cond-mat.mes-hall",
    "Physics - Other": "cond-mat.other",
    "Quantitative Biology - Other": "q-bio.OT",
    "Statistics - Theory": "stat.TH",
    **{
        f"Physics - {name}": code
        for code, name in CATEGORIES.items()
        if code.startswith("cond-mat.") and code != "cond-mat.other"
    },
}

# OAI set groups whose one archive has the group's name (the "physics" group holds many archives).
_GROUP_ARCHIVES = {"cs", "econ", "eess", "math", "q-bio", "q-fin", "stat"}


def is_category(code: str) -> bool:
    return code in CATEGORIES or code in LEGACY_CATEGORIES


def archive_of(code: str) -> str:
    """``cs.LG`` → ``cs``; ``hep-th`` → ``hep-th``."""
    return code.partition(".")[0]


def subject_name(code: str) -> str:
    """The qualified subject name of a category: ``Computer Science - Machine Learning``."""
    name = CATEGORIES.get(code) or LEGACY_CATEGORIES[code]
    archive = archive_of(code)
    return f"{ARCHIVES[archive]} - {name}" if archive != code else name


def _key(subject: str) -> str:
    """Compare names as arXiv varied them: case, spacing, and ``;`` for ``,``."""
    return " ".join(subject.replace(";", ",").casefold().split())


def _qualified() -> dict[str, str]:
    table = {_key(subject_name(code)): code for code in (*CATEGORIES, *LEGACY_CATEGORIES)}
    table.update((_key(subject), code) for subject, code in LEGACY_SUBJECTS.items())
    return table


def _bare() -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    names = [(name, code) for code, name in CATEGORIES.items()]
    names += [(name, code) for name, code in SUBSUMED.values()]
    for name, code in names:
        codes = table.setdefault(_key(name), [])
        if code not in codes:
            codes.append(code)
    return table


_QUALIFIED = _qualified()
_BARE = _bare()


def set_hints(set_specs: Iterable[str]) -> list[str]:
    """What OAI ``setSpec`` headers say, most precise first for each set: the category of a
    category set (``cs:cs:LG`` → ``cs.LG``, ``physics:hep-th`` → ``hep-th``), then its archive.

    ``physics`` alone is the whole physics group, which names no archive."""
    hints: list[str] = []
    for set_spec in set_specs:
        parts = set_spec.strip().split(":")
        archive = parts[1] if len(parts) > 1 else parts[0] if parts[0] in _GROUP_ARCHIVES else ""
        if len(parts) == 3 and f"{archive}.{parts[2]}" in CATEGORIES:
            hints.append(f"{archive}.{parts[2]}")
        elif archive in CATEGORIES:
            hints.append(archive)
        if archive in ARCHIVES and archive not in hints:
            hints.append(archive)
    return hints


def category_of_subject(subject: str, hints: Iterable[str] = ()) -> str | None:
    """The category code a ``<dc:subject>`` names, or ``None`` (an MSC or ACM class, a typo).

    ``hints`` (from :func:`set_hints`) decide between categories sharing a bare name: the one
    the earliest hint names wins; failing that, an alias pair resolves to its canonical code.
    """
    key = _key(subject)
    if key in _QUALIFIED:
        return _QUALIFIED[key]
    candidates = _BARE.get(key, [])
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    for hint in hints:
        for code in candidates:
            if hint in (code, archive_of(code)):
                return code
    canonical = {ALIASES.get(code, code) for code in candidates}
    return canonical.pop() if len(canonical) == 1 else None
