"""The collector pause hands what a stage made to the oldest generation, and leaves the program's
own frozen objects frozen."""

import gc

from ani_graph.gcpause import paused_gc


def test_objects_made_while_paused_go_to_the_oldest_generation_and_cycles_are_still_collected():
    gc.collect()
    with paused_gc():
        made = [[k] for k in range(5000)]
        cycle: list = []
        cycle.append(cycle)
        del cycle
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert gc.get_count()[0] < 5000  # not left in the young generation for its next collection to walk
    assert all(gc.is_tracked(m) for m in made[:10])
    assert gc.collect() >= 1  # the cycle made while paused is found by a full collection


def test_a_programs_frozen_objects_stay_frozen():
    gc.collect()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with paused_gc():
            _ = [[k] for k in range(100)]
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
