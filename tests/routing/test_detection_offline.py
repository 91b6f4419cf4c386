"""Detection never reaches the network: a detector built with sockets disabled still works."""

from __future__ import annotations

import socket

import pytest

from routing.detection import Detector


def test_detector_builds_and_detects_without_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("detection tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    detector = Detector()
    findings = detector.detect("John Smith, john@example.com, ИИН 900101301005, +7 701 123 45 67")
    assert {f.entity for f in findings} == {"PERSON", "EMAIL_ADDRESS", "KZ_IIN", "PHONE_NUMBER"}


def test_no_spacy_model_is_loaded_unless_installed():
    spacy = pytest.importorskip("spacy")
    installed = spacy.util.get_installed_models()
    names = [r.name for r in Detector().recognizers if r.name.startswith("spacy:")]
    assert names == [f"spacy:{m}" for m in sorted(installed)]
