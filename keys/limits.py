"""Rate limits (RPM, TPM) and monthly budgets per key and per team.

With `REDIS_URL` every process shares the counters: one Lua script checks every limit and counts
the request atomically, so two processes can never both take the last slot. Without Redis the
same rules run in process memory (local mode is one process or a demo).

- RPM: requests in the current UTC minute.
- TPM: tokens in the current UTC minute; the request's estimated prompt tokens are reserved at
  check time and corrected to the real usage when it ends.
- Budget: spend this UTC month, in units of 1e-8 USD. A request is refused when the budget is
  already spent; its own cost is recorded when it ends. A process seeds the month's spend from
  the audit records once, so a restart (or a flushed Redis) does not reset a budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import math
import time
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.conf import settings
from django.db.models import Sum

from audit.models import AuditRecord
from audit.recorder import run_db
from console import redis_async
from keys.authn import KeyInfo
from keys.models import ApiKey

logger = logging.getLogger("kordon.proxy")

UNITS_PER_USD = Decimal(100_000_000)
WINDOW_TTL = 120
SPEND_TTL = 40 * 24 * 3600
UNLIMITED = -1

# KEYS: per scope (rpm, tpm, spend). ARGV: estimate, then per scope (rpm, tpm, budget units).
# Returns {0} when admitted (and counted), {1, i} over RPM/TPM, {2, i} budget spent.
CHECK_LUA = """
local est = tonumber(ARGV[1])
local n = #KEYS / 3
for i = 0, n - 1 do
  local rpm = tonumber(ARGV[2 + i * 3])
  local tpm = tonumber(ARGV[3 + i * 3])
  local budget = tonumber(ARGV[4 + i * 3])
  if budget >= 0 then
    local spent = tonumber(redis.call('GET', KEYS[3 + i * 3]) or '0')
    if spent >= budget then return {2, i} end
  end
  if rpm >= 0 then
    local used = tonumber(redis.call('GET', KEYS[1 + i * 3]) or '0')
    if used >= rpm then return {1, i} end
  end
  if tpm >= 0 then
    local used = tonumber(redis.call('GET', KEYS[2 + i * 3]) or '0')
    if used > 0 and used + est > tpm then return {1, i} end
  end
end
for i = 0, n - 1 do
  redis.call('INCR', KEYS[1 + i * 3])
  redis.call('EXPIRE', KEYS[1 + i * 3], 120)
  redis.call('INCRBY', KEYS[2 + i * 3], est)
  redis.call('EXPIRE', KEYS[2 + i * 3], 120)
end
return {0}
"""  # 120 = WINDOW_TTL


class LimitExceeded(Exception):
    """Over RPM/TPM (`rate_limited`, with a retry delay) or budget spent (`budget_exceeded`)."""

    def __init__(self, code: str, retry_after: int | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.retry_after = retry_after


def rate_limited(retry_after: int) -> LimitExceeded:
    return LimitExceeded("rate_limited", retry_after)


def budget_exceeded() -> LimitExceeded:
    return LimitExceeded("budget_exceeded")


@dataclass(frozen=True, slots=True)
class Scope:
    kind: str  # "key" | "team"
    id: int
    created_ts: int
    rpm: int | None
    tpm: int | None
    budget: Decimal | None


@dataclass(frozen=True, slots=True)
class Admission:
    """What `check` counted, so `record` can correct TPM and add the spend."""

    scopes: tuple[Scope, ...]
    minute: int
    month: str
    estimate: int


def scopes_of(key: KeyInfo) -> tuple[Scope, ...]:
    """The key's and its team's scopes that have any limit (nothing to count otherwise)."""
    scopes = (
        Scope("key", key.id, key.created_ts, key.rpm, key.tpm, key.budget),
        Scope(
            "team", key.team_id, key.team_created_ts, key.team_rpm, key.team_tpm, key.team_budget
        ),
    )
    return tuple(s for s in scopes if (s.rpm, s.tpm, s.budget) != (None, None, None))


def cost_of(
    prompt_tokens: int, completion_tokens: int, input_per_1k: Decimal, output_per_1k: Decimal
) -> Decimal:
    return (
        Decimal(prompt_tokens) * input_per_1k + Decimal(completion_tokens) * output_per_1k
    ) / 1000


def _units(usd: Decimal) -> int:
    return int((usd * UNITS_PER_USD).to_integral_value(rounding=ROUND_CEILING))


def _retry_after(now: float) -> int:
    return max(1, math.ceil(60 - now % 60))


def _month(now: float) -> str:
    return _month_of_day(int(now // 86400))


@functools.lru_cache(maxsize=4)
def _month_of_day(day: int) -> str:
    # Every request names its month; formatting a date each time was 0.8 % of a busy loop (py-spy).
    return dt.datetime.fromtimestamp(day * 86400, tz=dt.UTC).strftime("%Y%m")


def _names(scope: Scope, minute: int, month: str) -> tuple[str, str, str]:
    base = f"kordon:lim:{scope.kind}:{scope.id}.{scope.created_ts}"
    return f"{base}:rpm:{minute}", f"{base}:tpm:{minute}", f"{base}:spend:{month}"


async def _seed_spend(scope: Scope, month: str) -> int:
    """This month's spend so far according to the audit records (units)."""
    return await run_db(_seed_sync, scope, month)


def _seed_sync(scope: Scope, month: str) -> int:
    start = dt.datetime.strptime(month, "%Y%m").replace(tzinfo=dt.UTC)
    records = AuditRecord.objects.filter(timestamp__gte=start)
    if scope.kind == "team":
        records = records.filter(team_id=scope.id)
    else:
        # Audit records hold copies, not foreign keys: a key's records carry its prefix.
        prefix = ApiKey.objects.filter(pk=scope.id).values_list("prefix", flat=True).first()
        records = records.filter(key_prefix=prefix or "")
    total = records.aggregate(total=Sum("cost"))["total"]
    return _units(total or Decimal(0))


class LocalLimits:
    """In-process counters (no REDIS_URL)."""

    def __init__(self) -> None:
        self.counters: dict[str, int] = {}
        self.seeded: set[str] = set()

    async def check(self, scopes: tuple[Scope, ...], estimate: int, now: float) -> Admission:
        minute, month = int(now // 60), _month(now)
        for scope in scopes:
            spend_key = _names(scope, minute, month)[2]
            if scope.budget is not None and spend_key not in self.seeded:
                self.counters[spend_key] = self.counters.get(spend_key, 0) + await _seed_spend(
                    scope, month
                )
                self.seeded.add(spend_key)
        for scope in scopes:
            rpm_key, tpm_key, spend_key = _names(scope, minute, month)
            if scope.budget is not None and self.counters.get(spend_key, 0) >= _units(scope.budget):
                raise budget_exceeded()
            if scope.rpm is not None and self.counters.get(rpm_key, 0) >= scope.rpm:
                raise rate_limited(_retry_after(now))
            used = self.counters.get(tpm_key, 0)
            if scope.tpm is not None and used > 0 and used + estimate > scope.tpm:
                raise rate_limited(_retry_after(now))
        for scope in scopes:
            rpm_key, tpm_key, _ = _names(scope, minute, month)
            self.counters[rpm_key] = self.counters.get(rpm_key, 0) + 1
            self.counters[tpm_key] = self.counters.get(tpm_key, 0) + estimate
        self._expire(minute)
        return Admission(scopes, minute, month, estimate)

    async def record(self, admission: Admission, tokens: int, cost_units: int) -> None:
        for scope in admission.scopes:
            _, tpm_key, spend_key = _names(scope, admission.minute, admission.month)
            self.counters[tpm_key] = self.counters.get(tpm_key, 0) + tokens - admission.estimate
            self.counters[spend_key] = self.counters.get(spend_key, 0) + cost_units

    def _expire(self, minute: int) -> None:
        if len(self.counters) < 10_000:
            return
        for name in [n for n in self.counters if ":rpm:" in n or ":tpm:" in n]:
            if int(name.rsplit(":", 1)[1]) < minute - 1:
                del self.counters[name]


class RedisLimits:
    """Counters in Redis, shared by every process; one atomic script per request."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.seeded: set[str] = set()
        self._script: Any = None  # the check script (its SHA); run with each loop's client

    def _client(self) -> tuple[Any, Any]:
        client = redis_async.client(self.url)
        if self._script is None:
            self._script = client.register_script(CHECK_LUA)
        return client, self._script

    async def check(self, scopes: tuple[Scope, ...], estimate: int, now: float) -> Admission:
        client, script = self._client()
        minute, month = int(now // 60), _month(now)
        for scope in scopes:
            spend_key = _names(scope, minute, month)[2]
            if scope.budget is not None and spend_key not in self.seeded:
                # NX: the first process to seed wins; later spend increments are never lost.
                await client.set(spend_key, await _seed_spend(scope, month), nx=True, ex=SPEND_TTL)
                self.seeded.add(spend_key)
        keys: list[str] = []
        argv: list[int] = [estimate]
        for scope in scopes:
            keys.extend(_names(scope, minute, month))
            argv.extend(
                (
                    UNLIMITED if scope.rpm is None else scope.rpm,
                    UNLIMITED if scope.tpm is None else scope.tpm,
                    UNLIMITED if scope.budget is None else _units(scope.budget),
                )
            )
        result = await script(keys=keys, args=argv, client=client)
        if int(result[0]) == 2:
            raise budget_exceeded()
        if int(result[0]) == 1:
            raise rate_limited(_retry_after(now))
        return Admission(scopes, minute, month, estimate)

    async def record(self, admission: Admission, tokens: int, cost_units: int) -> None:
        client, _ = self._client()
        async with client.pipeline(transaction=False) as pipe:
            for scope in admission.scopes:
                _, tpm_key, spend_key = _names(scope, admission.minute, admission.month)
                pipe.incrby(tpm_key, tokens - admission.estimate)
                pipe.expire(tpm_key, WINDOW_TTL)
                if cost_units:
                    pipe.incrby(spend_key, cost_units)
                    pipe.expire(spend_key, SPEND_TTL)
            await pipe.execute()


_store: LocalLimits | RedisLimits | None = None
_tasks: set[asyncio.Task[Any]] = set()


def store() -> LocalLimits | RedisLimits:
    global _store
    if _store is None:
        _store = RedisLimits(settings.REDIS_URL) if settings.REDIS_URL else LocalLimits()
    return _store


async def check(key: KeyInfo, estimate: int) -> Admission:
    """Admit and count the request, or raise LimitExceeded (fail closed)."""
    scopes = scopes_of(key)
    now = time.time()
    if not scopes:  # no limit and no budget anywhere: no round trip to the limit store
        return Admission((), int(now // 60), _month(now), estimate)
    return await store().check(scopes, estimate, now)


def record(admission: Admission, tokens: int, cost: Decimal) -> None:
    """Add the real tokens and the cost when the request ends (in the background)."""
    if not admission.scopes:
        return
    task = asyncio.get_running_loop().create_task(_record(admission, tokens, _units(cost)))
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def _record(admission: Admission, tokens: int, cost_units: int) -> None:
    try:
        await store().record(admission, tokens, cost_units)
    except Exception as exc:
        logger.error("limits: spend not recorded: %s", type(exc).__name__)


async def drain() -> None:
    """Wait for pending spend records (tests, shutdown)."""
    with contextlib.suppress(Exception):
        await asyncio.gather(*list(_tasks))
