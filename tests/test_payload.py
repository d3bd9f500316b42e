"""The page's packed JSON (`ani_graph.payload`) gives back exactly the data it was given."""

import base64
import json
import re
import zlib

from ani_graph import TorchGraph
from ani_graph.examples import sin_example
from ani_graph.page import script_json
from ani_graph.payload import MARK, compact_json, encode, pack, unpack

from .test_hostile_strings import HOSTILE


def round_trip(data):
    return unpack(json.loads(script_json(pack(data))))


def test_real_frames_and_panels_come_back_and_shrink():
    anim = TorchGraph(sin_example, [2, 3, 4]).animate("both")
    state = {"frames": anim.frames, "frame": 0, "playing": False}
    assert round_trip(state) == json.loads(json.dumps(state))
    assert round_trip(anim.inspect_data()) == json.loads(json.dumps(anim.inspect_data()))
    assert len(script_json(pack(state))) < len(script_json(state))
    assert pack(state)["fields"] == list(anim.frames[0])  # frames as rows


def test_hostile_strings_and_the_mark_itself_come_back():
    names = [*HOSTILE, MARK, MARK + "0", MARK + "x", "__proto__", "", "§§"]
    data = {"frames": [{"a": n, "b": [n, n], "__proto__": {n: n}} for n in names], "names": names * 2}
    assert round_trip(data) == data


def test_frames_with_different_keys_stay_dicts():
    data = {"frames": [{"a": "xyzw", "b": 1}, {"b": 2, "a": "xyzw"}, {"a": "xyzw"}]}
    packed = pack(data)
    assert packed["fields"] is None and round_trip(data) == data
    assert packed["strings"] == []  # repeats stay in place: deflate sends them as back-references


def test_only_strings_that_start_with_the_mark_go_through_the_table():
    data = {"frames": [{"a": MARK + "1", "b": "x" + MARK}, {"a": "plain", "b": MARK}], "k": {MARK + "key": MARK + "1"}}
    packed = pack(data)
    assert packed["strings"] == [MARK + "1", MARK]  # in the order met, each once
    assert packed["data"]["frames"] == [[MARK + "0", "x" + MARK], ["plain", MARK + "1"]]
    assert packed["data"]["k"] == {MARK + "key": MARK + "0"}  # keys are never read as references
    assert round_trip(data) == data and unpack(json.loads(encode(data))) == data
    plain = {"frames": [{"a": "same"}, {"a": "same"}], "n": [1.5, None, True]}
    assert pack(plain) == {
        "strings": [],
        "fields": ["a"],
        "data": {"frames": [["same"], ["same"]], "n": [1.5, None, True]},
    }
    assert json.loads(zlib.decompress(base64.b64decode(json.loads(encode(plain))))) == pack(plain)


def test_the_page_block_is_deflated_base64_and_gives_back_hostile_strings():
    names = [*HOSTILE, MARK, "__proto__", ""]
    data = {"frames": [{"a": n, "b": [n, n]} for n in names], "names": names * 2}
    text = encode(data)
    assert re.fullmatch(r'"[A-Za-z0-9+/=]*"', text)  # inert inside an inline <script>
    assert unpack(json.loads(text)) == data
    anim = TorchGraph(sin_example, [2, 3, 4]).animate("both")
    state = {"frames": anim.frames, "frame": 0}
    assert len(encode(state)) < len(script_json(pack(state)))  # base64 of deflate: smaller even for 3 ops


def test_the_deflated_block_is_exactly_the_packed_json_lone_surrogates_escaped():
    names = [*HOSTILE, MARK, MARK + "1", "\ud800", "a\udfffb", "__proto__"]
    for data in ({"frames": [{"a": n, "b": [n]} for n in names]}, {"frames": [{"a": "x"}], "k": "\ud83d"}, {"n": 1}):
        raw = zlib.decompress(base64.b64decode(json.loads(encode(data))))
        assert raw == compact_json(pack(data)).encode("utf-8")
    assert compact_json(["\ud800", "é"]) == '["\\ud800","é"]'


def test_a_block_above_a_megabyte_is_deflated_faster_and_reads_back_the_same():
    import random

    from ani_graph.payload import FAST_ABOVE, FAST_LEVEL, LEVEL, _packed_json

    rng = random.Random(0)
    cells = ["".join(rng.choice("abcdefghijklmnopqrstu") for _ in range(1280)) for _ in range(900)]
    data = {"nodes": {f"t{k}": {"heat": {"cells": c}} for k, c in enumerate(cells)}}
    packed = _packed_json(data)
    assert len(packed) > FAST_ABOVE
    block = json.loads(encode(data))
    assert base64.b64decode(block) == zlib.compress(packed, FAST_LEVEL) != zlib.compress(packed, LEVEL)
    assert unpack(block) == data
