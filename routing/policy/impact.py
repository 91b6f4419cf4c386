"""Impact preview: how the last days' requests would have been decided under a draft.

Only audit METADATA is used (team, model, entity counts); no prompt was ever stored. Requests
with the same metadata are grouped in the database and decided once per group under both
policies. Key tags and unscannable parts are not in the audit record: they count as none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone

from audit.models import AuditRecord
from routing import engine
from routing.findings import Finding
from routing.policy.document import Policy
from routing.privacy import ScanResult, TextSlot

MAX_GROUPS = 5000  # distinct metadata combinations examined; beyond that the preview says so


@dataclass(frozen=True)
class Outcome:
    route: str | None
    backends: tuple[str, ...]
    refusal: str | None

    def words(self) -> str:
        if self.refusal:
            return f"refused ({self.refusal})"
        return f"route {self.route} → {', '.join(self.backends)}"


@dataclass
class ImpactRow:
    team: str
    model: str
    categories: list[str]
    requests: int
    before: Outcome
    after: Outcome


@dataclass
class Impact:
    days: int
    total: int = 0
    changed: int = 0
    newly_refused: int = 0
    newly_allowed: int = 0
    rerouted: int = 0
    rows: list[ImpactRow] = field(default_factory=list)  # only the groups that change
    truncated: bool = False


def _scan(entities: dict[str, int]) -> ScanResult:
    findings = [Finding(e, 0, 1, 1.0) for e, n in entities.items() for _ in range(int(n))]
    return ScanResult(
        slots=[TextSlot(path=("input",), text="x")], findings=[findings], unscannable=[]
    )


def _outcome(policy: Policy, scan: ScanResult, model: str, team: str) -> Outcome:
    d = engine.decide(policy=policy, scan=scan, model_alias=model, team_slug=team, team_name=team)
    if d.refusal is not None:
        return Outcome(d.route, (), d.refusal.code)
    return Outcome(d.route, tuple(c.backend.name for c in d.candidates), None)


def impact_preview(*, draft: Policy, live: Policy, days: int = 7) -> Impact:
    """Compare live and draft decisions over the audit metadata of the last `days` days."""
    since = timezone.now() - dt.timedelta(days=days)
    groups = (
        AuditRecord.objects.filter(timestamp__gte=since)
        .exclude(model_requested="")
        .values("team", "model_requested", "entities")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    impact = Impact(days=days)
    for i, group in enumerate(groups.iterator()):
        if i >= MAX_GROUPS:
            impact.truncated = True
            break
        entities = group["entities"] if isinstance(group["entities"], dict) else {}
        scan = _scan(entities)
        model, team, n = group["model_requested"], group["team"], group["n"]
        before = _outcome(live, scan, model, team)
        after = _outcome(draft, scan, model, team)
        impact.total += n
        if before == after:
            continue
        impact.changed += n
        if after.refusal and not before.refusal:
            impact.newly_refused += n
        elif before.refusal and not after.refusal:
            impact.newly_allowed += n
        else:
            impact.rerouted += n
        categories = draft.categories_of(entities)
        impact.rows.append(ImpactRow(team, model, categories, n, before, after))
    return impact
