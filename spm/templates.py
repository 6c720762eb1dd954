"""Template CSVs per input kind: the canonical header and one example row."""

from __future__ import annotations

import csv
import io

from spm.ingest.mapping import ALIASES, REQUIRED

_EXAMPLES: dict[str, dict[str, str]] = {
    "opportunities": {
        "opportunity_id": "OPP-0001",
        "amount": "25000",
        "stage": "Proposal/Price Quote",
        "close_date": "2026-12-15",
        "owner": "Avery Stone",
        "as_of": "2026-11-23",
        "created_date": "2026-09-01",
        "account": "Acme Corp",
        "probability": "75%",
        "forecast_category": "Best Case",
        "type": "new",
        "product": "Core Platform",
        "lead_source": "marketing",
        "name": "Acme platform rollout",
    },
    "reps": {
        "rep": "Avery Stone",
        "manager": "Kelly Morgan",
        "team": "Kelly's team",
        "region": "East",
        "role": "hunter",
        "hire_date": "2025-06-01",
        "ramp_months": "6",
        "email": "avery@example.com",
    },
    "quotas": {"rep": "Avery Stone", "period": "2026-Q4", "amount": "300000", "type": "total"},
    "accounts": {
        "account": "Acme Corp",
        "segment": "Enterprise",
        "region": "East",
        "in_target_profile": "yes",
        "onboarded_to_standard": "no",
        "paid_assessment": "yes",
    },
    "activities": {
        "date": "2026-11-02",
        "rep": "Avery Stone",
        "kind": "joint_call",
        "account": "Acme Corp",
        "opportunity_id": "OPP-0001",
    },
    "report_cards": {
        "date": "2026-10-15",
        "account": "Acme Corp",
        "rep": "Avery Stone",
        "listening": "4",
        "trust": "5",
        "problem_solving": "4",
        "responsiveness": "3",
        "comment": "Quick to follow up",
    },
}

TEMPLATE_KINDS = tuple(_EXAMPLES)

# Internal helper fields that a user never needs to fill in a template.
_HIDDEN = {"is_won", "is_closed", "status", "won_time", "lost_time", "pipeline", "is_deleted"}


def template_csv(kind: str) -> str:
    """Return a CSV template for `kind`: required columns first, then the optional ones."""
    if kind not in _EXAMPLES:
        raise ValueError(f"no template for kind '{kind}'")
    required = REQUIRED[kind] + (["owner"] if kind == "opportunities" else [])
    optional = [f for f in ALIASES[kind] if f not in required and f not in _HIDDEN]
    columns = required + optional
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerow([_EXAMPLES[kind].get(c, "") for c in columns])
    return out.getvalue()
