"""vasrec: recommend value-added services from declarative rules.

Load a rule package once with `Engine.load`, then evaluate customers.
"""

import os
from typing import Any, Dict, Iterable, List, Optional, Union

__version__: str

Customer = Dict[str, Any]
"""A customer: input columns (or attribute names, `pref.NAME`) to values."""

class PackageError(Exception):
    """A rule package that does not load; `str(error)` is the rendered diagnostics."""

    diagnostics: List["Diagnostic"]
    rendered: str

class CustomerError(ValueError):
    """A customer value that does not fit the package's schema."""

    field: str
    """The attribute, e.g. `tenure_months`."""
    column: str
    """The input key it was read from, e.g. `tenure`."""

class EvaluationError(Exception):
    """A rule or script that failed on a customer."""

    raised_by: str

class Diagnostic:
    """One error or warning about a rule package."""

    code: str
    severity: str
    file: Optional[str]
    line: Optional[int]
    column: Optional[int]
    message: str
    help: Optional[str]
    notes: List[str]
    rendered: str
    def to_dict(self) -> Dict[str, Any]:
        """The diagnostic as a dict (the shape of `vasrec check --format json`)."""

class Engine:
    """A rule package, loaded, checked and compiled once; immutable and thread-safe."""

    @staticmethod
    def load(path: Union[str, "os.PathLike[str]"]) -> "Engine":
        """Loads the package in a folder; raises PackageError when it does not load."""
    @property
    def package(self) -> str:
        """The package's name (`package:` in its catalog)."""
    @property
    def path(self) -> str:
        """The folder it was loaded from."""
    def check(self) -> List[Diagnostic]:
        """The package's warnings (a loaded package has no errors)."""
    def evaluate(self, customer: Customer) -> Dict[str, Any]:
        """One customer's score record (as `vasrec score` writes it, without `line`)."""
    def explain(self, customer: Customer) -> Dict[str, Any]:
        """Why the customer gets what it gets (`vasrec explain --format json`)."""
    def evaluate_arrow(self, data: Any) -> Any:
        """Every row of Arrow data (pyarrow Table or RecordBatch), scored: Arrow records."""
    def score_pandas(self, frame: Any) -> Any:
        """A pandas DataFrame scored: customer_id, line, offers."""
    def dry_run(
        self,
        rows: Union[Iterable[Customer], Any],
        *,
        name: str = "rows",
        line_offset: int = 0,
        allocation: Optional[str] = None,
        threads: Optional[int] = None,
        on_error: str = "fail",
        ignore_capacity: bool = False,
    ) -> "Report":
        """The dry-run report over many customers, as `vasrec dry-run` makes it."""
    def score(
        self,
        rows: Union[Iterable[Customer], Any],
        *,
        line_offset: int = 0,
        allocation: Optional[str] = None,
        ignore_capacity: bool = False,
        threads: Optional[int] = None,
        on_error: str = "fail",
        output: str = "dicts",
    ) -> List[Any]:
        """The records `vasrec score` writes, one per customer, in input order."""
    @property
    def needs_capacity(self) -> bool:
        """Whether a job made in parts needs capacity's first pass (`demand`, `allocate`)."""
    def demand(
        self, rows: Iterable[Customer], *, line_offset: int = 0, threads: Optional[int] = None
    ) -> str:
        """Capacity's first pass over one part of the customers, as JSON."""
    def allocate(self, demands: List[str]) -> str:
        """Merges every part's demand and decides: the allocation (JSON) for `dry_run`."""

class Report:
    """A dry-run report over some customers, in a form that merges exactly."""

    @property
    def customers(self) -> int:
        """Customers counted (evaluated or not)."""
    def to_dict(self, engine: Optional[Engine] = None) -> Dict[str, Any]:
        """The report as `vasrec dry-run --format json` prints it."""
    def merge(self, other: "Report") -> None:
        """Adds the counts of a report over other customers of the same package."""
    def to_json(self) -> str:
        """The partial form as JSON (what `vasrec merge` reads)."""
    @staticmethod
    def from_json(text: str) -> "Report":
        """Reads the partial form."""
