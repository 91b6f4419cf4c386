"""Bench fixtures, run inside the bench's environment: a team, a fresh key, the policy.

Publishes the contract's policy document with both backends pointed at the fake upstream, so
clean prompts go to the external backend (contact values masked with placeholders and
restored) and prompts with national ids or cards stay in-country (cards partially masked).
Prints the key's secret as the last line.
"""

from __future__ import annotations

import argparse
import os
import sys

import django


def policy(upstream: str) -> dict:
    return {
        "version": 1,
        "backends": [
            {
                "name": "kz-local",
                "base_url": upstream,
                "residency": "in-country",
                "models": {"assistant": "qwen2.5-7b-instruct", "embed": "bge-m3"},
            },
            {
                "name": "cloud",
                "base_url": upstream,
                "api_key_env": "CLOUD_API_KEY",
                "residency": "external",
                "models": {"assistant": "gpt-4o-mini"},
                "cost_per_1k_tokens": {"input": 0.00015, "output": 0.0006},
            },
        ],
        "categories": [
            {
                "name": "national-id",
                "entities": ["KZ_IIN", "KZ_BIN", "US_SSN", "RU_INN", "RU_SNILS", "RU_PASSPORT"],
                "stays_in_country": True,
            },
            {"name": "payment", "entities": ["CREDIT_CARD", "IBAN_CODE"], "stays_in_country": True},
            {"name": "contact", "entities": ["EMAIL_ADDRESS", "PHONE_NUMBER", "PERSON"]},
            {"name": "secrets", "entities": ["SECRET"]},
            {"name": "internal-project", "patterns": [r"\bPRJ-\d{4}\b"], "terms": ["Nightingale"]},
        ],
        "masking": {
            "national-id": {"action": "placeholder", "apply_to": "external"},
            "payment": {"action": "partial", "apply_to": "all"},
            "contact": {"action": "placeholder", "apply_to": "external"},
            "secrets": {"action": "block"},
            "internal-project": {"action": "redact", "apply_to": "external"},
        },
        "routes": [
            {
                "name": "ids-stay-home",
                "when": {"categories_any": ["national-id", "payment"]},
                "backends": ["kz-local"],
            },
            {"name": "default", "backends": ["cloud", "kz-local"]},
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstream", required=True)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    django.setup()
    from keys import services as key_services
    from keys.models import Team
    from routing.policy import services as policy_services

    policy_services.policy_import(document=policy(args.upstream), actor=None, comment="bench")
    team = Team.objects.filter(slug="bench").first() or key_services.team_create(
        name="bench", actor=None
    )
    _, secret = key_services.key_create(team=team, name=f"bench-{os.getpid()}", actor=None)
    sys.stdout.write(secret + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
