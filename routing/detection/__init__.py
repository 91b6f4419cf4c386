"""Sensitive-data detection for English, Russian and Kazakh text (see INTERFACES.md).

    from routing.detection import get_detector
    findings = get_detector().detect(text)   # spans in the ORIGINAL text

Fully offline: nothing here downloads a model or reaches the network.
"""

from __future__ import annotations

import os

# Presidio's e-mail recognizer pulls tldextract, which fetches the Public Suffix List on first
# use unless told not to. We do not use that recognizer, but never let an import path fetch.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

from routing.detection.custom import CustomCategory, CustomMatchers
from routing.detection.engine import ENTITIES, Detector, detector_ready, get_detector
from routing.detection.errors import DetectionError, PatternError

__all__ = [
    "ENTITIES",
    "CustomCategory",
    "CustomMatchers",
    "DetectionError",
    "Detector",
    "PatternError",
    "detector_ready",
    "get_detector",
]
