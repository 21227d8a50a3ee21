"""Blind matching: remove what identifies a candidate or states a protected attribute before ranking sees it."""

from matcher.privacy.blinder import KINDS, Blinded, blind, blind_text

__all__ = ["KINDS", "Blinded", "blind", "blind_text"]
