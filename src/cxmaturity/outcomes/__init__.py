"""Customer outcomes beside maturity (no I/O beyond reading the files it is given; no web or database imports).

- :mod:`~cxmaturity.outcomes.model`: survey responses, customers, O-data points, the column mapping (JSON).
- :mod:`~cxmaturity.outcomes.metrics`: NPS, CSAT and CES with intervals from answer tallies, by month and segment,
  and the verdict on a change.
- :mod:`~cxmaturity.outcomes.drivers`: key drivers by Johnson's relative weights with bootstrap intervals.
- :mod:`~cxmaturity.outcomes.asset`: the customer asset over a period from a CRM customer list.
- :mod:`~cxmaturity.outcomes.sources`: survey-tool exports (Qualtrics, SurveyMonkey, Google Forms, CSV, XLSX):
  layout, suggested mapping, streamed responses.
- :mod:`~cxmaturity.outcomes.records`: customer lists and O-data files.
- :mod:`~cxmaturity.outcomes.serialize`: the JSON shapes of the CLI.

Formulas and citations: docs/outcomes.md.
"""

from cxmaturity.outcomes.asset import Amount, AssetError, AssetFigures, CustomerAsset, customer_asset
from cxmaturity.outcomes.drivers import (
    DriverAnalysis,
    DriversError,
    DriverWeight,
    ImportancePerformance,
    analyze,
    relative_weights,
)
from cxmaturity.outcomes.metrics import (
    CONFIDENCE,
    Cell,
    CesResult,
    Change,
    CsatResult,
    MetricResult,
    MetricSummary,
    NpsResult,
    OutcomeSummary,
    Scales,
    SummaryOptions,
    Tallies,
    Tally,
    ces,
    change,
    csat,
    nps,
    summarize,
    summarize_tallies,
    tally_of,
    wilson,
)
from cxmaturity.outcomes.model import (
    METRICS,
    ColumnMapping,
    Customer,
    MappingError,
    Metric,
    ODataPoint,
    SurveyResponse,
    Tool,
)
from cxmaturity.outcomes.problems import OutcomesError, Problem, ProblemLog
from cxmaturity.outcomes.records import (
    CustomerColumns,
    ODataColumns,
    iter_customers,
    iter_odata,
    read_customers,
    read_odata,
)
from cxmaturity.outcomes.sources import (
    Suggestion,
    SurveyColumn,
    SurveyLayout,
    SurveyReader,
    inspect_survey,
    read_survey,
    suggest_mapping,
)

__all__ = [
    "CONFIDENCE",
    "METRICS",
    "Amount",
    "AssetError",
    "AssetFigures",
    "Cell",
    "CesResult",
    "Change",
    "ColumnMapping",
    "CsatResult",
    "Customer",
    "CustomerAsset",
    "CustomerColumns",
    "DriverAnalysis",
    "DriverWeight",
    "DriversError",
    "ImportancePerformance",
    "MappingError",
    "Metric",
    "MetricResult",
    "MetricSummary",
    "NpsResult",
    "ODataColumns",
    "ODataPoint",
    "OutcomeSummary",
    "OutcomesError",
    "Problem",
    "ProblemLog",
    "Scales",
    "Suggestion",
    "SummaryOptions",
    "SurveyColumn",
    "SurveyLayout",
    "SurveyReader",
    "SurveyResponse",
    "Tallies",
    "Tally",
    "Tool",
    "analyze",
    "ces",
    "change",
    "csat",
    "customer_asset",
    "inspect_survey",
    "iter_customers",
    "iter_odata",
    "nps",
    "read_customers",
    "read_odata",
    "read_survey",
    "relative_weights",
    "suggest_mapping",
    "summarize",
    "summarize_tallies",
    "tally_of",
    "wilson",
]
