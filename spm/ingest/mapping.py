"""Column aliases per input kind, header matching and kind detection.

Headers are compared after lower-casing and dropping everything but letters and digits, so
"Opportunity Owner", "opportunity_owner" and "OPPORTUNITY-OWNER" all read `opportunityowner`.
Pipedrive's "Deal - " prefix is ignored. Within a field, the first alias found wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from spm.ingest.errors import IngestError

# kind -> canonical field -> aliases (normalised), best first.
ALIASES: dict[str, dict[str, list[str]]] = {
    "opportunities": {
        "opportunity_id": ["opportunityid", "id", "recordid", "dealid", "opportunityid18"],
        "amount": ["amount", "closevalue", "value", "dealvalue", "dealamount", "opportunityamount"],
        "stage": ["stage", "stagename", "dealstage", "opportunitystage"],
        "close_date": ["closedate", "expectedclosedate", "closingdate", "dealclosedate"],
        "owner": [
            "owner",
            "opportunityowner",
            "ownername",
            "ownerfullname",
            "dealowner",
            "salesagent",
            "salesrep",
            "rep",
            "accountexecutive",
            "hubspotownerid",
            "ownerid",
        ],
        "as_of": ["asof", "asofdate", "snapshotdate", "snapshot", "reportdate"],
        "created_date": ["createddate", "createdate", "dealcreated", "engagedate", "created"],
        "account": [
            "account",
            "accountname",
            "company",
            "organization",
            "organizationname",
            "accountid",
        ],
        "probability": ["probability", "probabilitypercent", "dealprobability", "winprobability"],
        "forecast_category": ["forecastcategory", "forecastcategoryname", "forecast"],
        "type": ["type", "dealtype", "opportunitytype", "businesstype", "newvsexisting"],
        "product": ["product", "productname", "offering", "productline", "lineofbusiness"],
        "lead_source": ["leadsource", "source", "opportunitysource", "originalsource"],
        "loss_reason": ["lossreason", "lostreason", "closedlostreason", "reasonlost"],
        "competitor": ["competitor", "competitors", "maincompetitor"],
        "region": ["region", "territory", "regionaloffice"],
        "segment": ["segment", "marketsegment"],
        "next_step": ["nextstep"],
        "name": ["name", "opportunityname", "dealname", "title"],
        "is_won": ["iswon", "won"],
        "is_closed": ["isclosed", "closed"],
        "status": ["status", "dealstatus"],
        "won_time": ["wontime", "datewon"],
        "lost_time": ["losttime", "datelost"],
        "pipeline": ["pipeline"],
    },
    "opportunity_history": {
        "opportunity_id": ["opportunityid", "dealid"],
        "edit_date": ["createddate", "editdate", "changedate", "modifieddate", "date"],
        "stage": ["stagename", "stage", "tostage"],
        "amount": ["amount", "value"],
        "close_date": ["closedate", "expectedclosedate"],
        "probability": ["probability", "probabilitypercent"],
        "forecast_category": ["forecastcategory", "forecastcategoryname"],
        "is_deleted": ["isdeleted"],
        "owner": ["owner", "opportunityowner", "ownername"],
    },
    "reps": {
        "rep": ["rep", "salesagent", "name", "salesrep", "owner", "repname", "user", "fullname"],
        "manager": ["manager", "managername", "reportsto"],
        "team": ["team", "teamname", "salesteam"],
        "region": ["region", "regionaloffice", "territory", "office"],
        "role": ["role", "reptype", "salesrole"],
        "hire_date": ["hiredate", "startdate", "hired"],
        "ramp_months": ["rampmonths", "ramp", "rampperiod"],
        "end_date": ["enddate", "leftdate", "terminationdate"],
        "email": ["email", "emailaddress"],
    },
    "quotas": {
        "rep": ["rep", "owner", "salesagent", "salesrep", "name"],
        "period": ["period", "month", "quarter", "fiscalperiod", "year", "fiscalyear"],
        "amount": ["amount", "quota", "quotaamount", "target"],
        "type": ["type", "quotatype"],
    },
    "accounts": {
        "account": ["account", "accountname", "company"],
        "segment": ["segment", "sector", "industry"],
        "region": ["region", "officelocation", "territory"],
        "in_target_profile": ["intargetprofile", "targetprofile", "icp"],
        "onboarded_to_standard": ["onboardedtostandard", "onboarded"],
        "paid_assessment": ["paidassessment", "assessment"],
        "first_won_date": ["firstwondate", "customersince"],
    },
    "activities": {
        "date": ["date", "activitydate", "duedate"],
        "rep": ["rep", "owner", "assignedto", "salesagent", "user"],
        "kind": ["kind", "activitytype", "type", "activity"],
        "account": ["account", "accountname", "company"],
        "opportunity_id": ["opportunityid", "dealid"],
    },
    "report_cards": {
        "date": ["date", "surveydate"],
        "account": ["account", "accountname", "company"],
        "rep": ["rep", "owner", "salesagent"],
        "listening": ["listening"],
        "trust": ["trust"],
        "problem_solving": ["problemsolving"],
        "responsiveness": ["responsiveness"],
        "comment": ["comment", "comments"],
    },
}

REQUIRED: dict[str, list[str]] = {
    "opportunities": ["opportunity_id", "amount", "stage", "close_date"],
    "opportunity_history": ["opportunity_id", "edit_date"],
    "reps": ["rep"],
    "quotas": ["rep", "period", "amount"],
    "accounts": ["account"],
    "activities": ["date", "rep", "kind"],
    "report_cards": [
        "date",
        "account",
        "rep",
        "listening",
        "trust",
        "problem_solving",
        "responsiveness",
    ],
}

# Headers that only a Salesforce OpportunityHistory export carries.
_HISTORY_MARKERS = {"opportunityhistorykey", "systemmodstamp", "editdate", "fromstage", "tostage"}
_SPECIFIC_FIRST = [
    "report_cards",
    "activities",
    "opportunity_history",
    "opportunities",
    "quotas",
    "accounts",
    "reps",
]


def normalise_header(header: object) -> str:
    """Return the comparison key of a header: lower-case letters and digits only."""
    key = re.sub(r"[^a-z0-9]", "", str(header).lower())
    if key.startswith("deal") and len(key) > 4 and str(header).lower().startswith("deal -"):
        key = key[4:]
    return key


@dataclass
class Mapping:
    """How one file's columns map onto a kind's canonical fields."""

    kind: str
    columns: dict[str, str]  # canonical field -> source header
    unmapped: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        """Return required fields with no source column."""
        needed = REQUIRED[self.kind]
        return [f for f in needed if f not in self.columns and not _optional_owner(self, f)]


def _optional_owner(mapping: Mapping, name: str) -> bool:
    return mapping.kind == "opportunities" and name == "owner"


def parse_overrides(pairs: list[str] | None) -> dict[str, str]:
    """Return {source header: canonical field} from `SRC=DST` strings (DST `-` ignores SRC)."""
    out: dict[str, str] = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise IngestError(f"--map '{pair}' must look like 'Source Column=field'")
        src, dst = (p.strip() for p in pair.split("=", 1))
        if not src or not dst:
            raise IngestError(f"--map '{pair}' must look like 'Source Column=field'")
        out[src] = dst
    return out


def map_columns(headers: list[str], kind: str, overrides: dict[str, str] | None = None) -> Mapping:
    """Return the mapping of `headers` onto `kind`'s fields, applying user overrides first."""
    if kind not in ALIASES:
        raise IngestError(f"unknown kind '{kind}': use one of {', '.join(ALIASES)}")
    fields = ALIASES[kind]
    columns: dict[str, str] = {}
    used: set[str] = set()
    by_key = {normalise_header(h): h for h in reversed(headers)}
    for src, dst in (overrides or {}).items():
        header = src if src in headers else by_key.get(normalise_header(src))
        if header is None:
            raise IngestError(f"--map names column '{src}', which the file does not have")
        used.add(header)
        if dst in ("-", "ignore"):
            continue
        if dst not in fields:
            raise IngestError(
                f"--map target '{dst}' is not a field of {kind}: use one of {', '.join(fields)}"
            )
        columns[dst] = header
    for name, aliases in fields.items():
        if name in columns:
            continue
        for alias in aliases:
            header = by_key.get(alias)
            if header is not None and header not in used:
                columns[name] = header
                used.add(header)
                break
    unmapped = [h for h in headers if h not in used]
    return Mapping(kind, columns, unmapped)


def detect_kind(headers: list[str], overrides: dict[str, str] | None = None) -> Mapping:
    """Return the mapping for the kind these headers fit best, or raise IngestError."""
    keys = {normalise_header(h) for h in headers}
    if keys & _HISTORY_MARKERS and "opportunityid" in keys:
        return map_columns(headers, "opportunity_history", overrides)
    best: Mapping | None = None
    closest: Mapping | None = None  # the kind most columns fit, even with some missing
    for kind in _SPECIFIC_FIRST:
        if kind == "opportunity_history":
            continue
        try:
            mapping = map_columns(headers, kind, overrides)
        except IngestError:
            continue
        if closest is None or len(mapping.columns) > len(closest.columns):
            closest = mapping
        if mapping.missing:
            continue
        if best is None or len(mapping.columns) > len(best.columns):
            best = mapping
    # An opportunities file without its close date must not load as a reps file by its owners.
    if closest is not None and closest.missing and len(closest.columns) >= 2:
        if best is None or len(closest.columns) > len(best.columns):
            return closest
    if best is None:
        shown = ", ".join(str(h)[:40] for h in headers[:12])
        more = f" and {len(headers) - 12:,} more" if len(headers) > 12 else ""
        raise IngestError(
            f"could not tell what this file holds from its columns ({shown}{more}); "
            "choose the kind (Data page: Kind; CLI: --kind) and map the columns "
            "(Data page: Column mapping; CLI: --map 'Your Column=field')"
        )
    return best
