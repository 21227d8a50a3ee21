"""Postings: the typed posting and its parsers (Markdown + YAML front matter, JSON Lines). No ML here."""

from matcher.postings.load import FirstIdWins, LoadReport, Rejection, iter_sources, load_postings
from matcher.postings.model import Posting
from matcher.postings.parse import parse_json_record, parse_markdown, parse_markdown_file

__all__ = [
    "FirstIdWins",
    "LoadReport",
    "Posting",
    "Rejection",
    "iter_sources",
    "load_postings",
    "parse_json_record",
    "parse_markdown",
    "parse_markdown_file",
]
