"""The merge policy: what gets compacted stays proportional to what changed."""

from __future__ import annotations

from matcher.config import SegmentPolicy
from matcher.index.manifest import SegmentRef
from matcher.index.merge import choose_merge

POLICY = SegmentPolicy()


def test_cleaning_a_small_segment_never_rewrites_the_big_one() -> None:
    # One PUT then DELETE of the same posting leaves a one-posting segment whose posting is deleted.
    big, gone = SegmentRef("big", 100_000, ()), SegmentRef("gone", 1, (0,))
    assert choose_merge([big, gone], POLICY) == ["gone"]
    tiny = SegmentRef("tiny", 2, ())
    assert choose_merge([big, gone, tiny], POLICY) == ["gone", "tiny"]


def test_a_dirty_big_segment_is_rewritten() -> None:
    dirty = SegmentRef("big", 1_000, tuple(range(400)))
    small = SegmentRef("small", 10, ())
    assert choose_merge([dirty, small], POLICY) == ["big", "small"]


def test_tiers_and_the_segment_cap() -> None:
    same_tier = [SegmentRef(f"s{i}", 2, ()) for i in range(POLICY.merge_factor)]
    assert choose_merge([SegmentRef("big", 100_000, ()), *same_tier], POLICY) == [s.name for s in same_tier]
    assert choose_merge([SegmentRef("big", 100_000, ())], POLICY) == []
    assert choose_merge([SegmentRef("a", 5, ()), SegmentRef("b", 7, ())], POLICY, force=True) == ["a", "b"]
