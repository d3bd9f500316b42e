"""Tensor text: what a badge or caption shows."""

import math

import pytest
import torch

from ani_graph.format import _mean, format_number, format_numbers, format_shape, format_tensor, summary_text, texts_kept


@pytest.mark.parametrize(
    "x,text",
    [
        (3.14159265, "3.142"),
        (2.0, "2"),
        (-0.000123456, "−0.0001235"),
        (123456.0, "1.235e5"),
        (0.0, "0"),
        (1e-9, "1e−9"),
        (math.nan, "nan"),
        (-math.inf, "−inf"),
    ],
)
def test_scalars_show_four_significant_digits(x, text):
    assert format_number(x) == text
    if text not in ("−0.0001235", "1.235e5"):  # those two are written exactly by format_tensor (below)
        assert format_tensor(torch.tensor(x, dtype=torch.float64)) == text


@pytest.mark.parametrize(
    "x,dtype,text",
    [
        (1.0001, torch.float32, "1.0001"),  # the constant of `x * 1.0001` does not read as 1
        (2.0002, torch.float32, "2.0002"),
        (-0.000123456, torch.float64, "−0.000123456"),
        (123456.0, torch.float64, "123456"),
        (100.25, torch.float32, "100.25"),
        (math.sin(2.0), torch.float32, "0.9093"),  # not short in decimal: four digits, as before
        (1.0000001, torch.float32, "1"),  # seven digits would be needed: four, as before
        (1 / 3, torch.float64, "0.3333"),
    ],
)
def test_a_scalar_short_in_decimal_is_written_exactly(x, dtype, text):
    t = torch.tensor(x, dtype=dtype)
    assert format_tensor(t) == text
    if text != format_number(x):  # the longer text reads back as the very number kept
        assert torch.tensor(float(text.replace("−", "-")), dtype=dtype).item() == t.item()
    if dtype == torch.float64:
        assert format_tensor(x) == text  # a Python number is written the same way


def test_a_typed_constant_is_labelled_and_named_exactly():
    from ani_graph import TorchGraph

    g = TorchGraph(lambda x: x * 1.0001, [torch.tensor(2.0, requires_grad=True)])
    labels = [a["label"] for _, a in g.nx.nodes(data=True) if a["kind"] == "constant"]
    assert labels == ["1.0001"]
    assert ">1.0001<" in g.to_svg()
    assert g.grad("x").item() == pytest.approx(1.0001, rel=1e-7)  # d(1.0001·x)/dx


def test_up_to_six_elements_are_written_out():
    assert format_tensor(torch.tensor([1.0, 2.5, -3.0])) == "[1, 2.5, −3]"
    assert format_tensor(torch.tensor([3.14159, -0.0123456])) == "[3.14, −0.0123]"  # one digit fewer than a scalar
    assert format_tensor(torch.tensor([[1.0, 2.0], [3.0, 4.0]])) == "[[1, 2], [3, 4]]"
    assert format_tensor(torch.arange(6.0).reshape(2, 3)) == "[[0, 1, 2], [3, 4, 5]]"


def test_larger_tensors_show_shape_and_mean_in_brackets_that_cannot_be_read_as_arithmetic():
    assert format_tensor(torch.ones(64, 8) * 0.125) == "[64×8, mean 0.12]"
    assert format_tensor(torch.ones(10, 100) * -4.5) == "[10×100, mean −4.5]"
    assert format_tensor(torch.zeros(7)) == "[7 values, mean 0]"  # not a list of the numbers 7 and 0


def test_negative_numbers_take_the_minus_sign_everywhere():
    texts = [format_number(-2.5), format_number(-1e-9), format_tensor(torch.tensor([[-1.0, 2.0]]))]
    texts.append(format_tensor(-torch.ones(100)))
    assert all("-" not in t for t in texts), texts
    assert texts == ["−2.5", "−1e−9", "[[−1, 2]]", "[100 values, mean −1]"]


def test_no_label_is_longer_than_forty_characters():
    for t in [torch.randn(6) * 1e7, torch.randn(2, 3) / 7, torch.randn(1000, 1000, 3)]:
        assert len(format_tensor(t)) <= 40, format_tensor(t)


def test_small_tensor_with_long_numbers_drops_digits_to_fit():
    t = torch.tensor([1.23456, -2.34567, 3.45678, -4.56789, 5.67891, -6.78912]) * 1000
    text = format_tensor(t)
    assert len(text) <= 40 and text.startswith("[")


def test_shapes_read_naturally():
    assert format_shape(()) == "scalar"
    assert format_shape((3, 4)) == "3×4"


def test_none_is_empty():
    assert format_tensor(None) == ""


def test_a_batch_of_numbers_reads_as_each_number_alone():
    gen = torch.Generator().manual_seed(0)
    edge = [0.0, -0.0, math.nan, math.inf, -math.inf, 1e-5, -9.9995e-5, 99995.0, 1.5e20, 5e-324, 1.7976931348623157e308]
    scale = 10 ** torch.empty(2000, dtype=torch.float64).uniform_(-30, 30, generator=gen)
    spread = torch.randn(2000, generator=gen, dtype=torch.float64) * scale
    bits = torch.randint(-(2**62), 2**62, (2000,), generator=gen).view(torch.float64)  # any double, nans included
    values = edge + spread.tolist() + bits.tolist()
    for digits in (2, 3, 4):
        assert format_numbers(values, digits) == [format_number(v, digits) for v in values]
    assert format_numbers([]) == []


def test_kept_texts_write_each_tensor_once_and_only_inside_the_block():
    t, u = torch.tensor([1.0, -2.0]), torch.randn(30, 4)
    alone = [format_tensor(t), format_tensor(u), format_tensor(u, 20)]
    store: dict = {}
    with texts_kept(store):
        kept = [format_tensor(t), format_tensor(u), format_tensor(u, 20), format_tensor(t), format_tensor(1.5)]
    assert kept == [*alone, alone[0], "1.5"]
    # three texts, and u's mean (both of u's texts summarise it)
    assert len(store) == 4 and all(entry[0] is t or entry[0] is u for entry in store.values())
    format_tensor(torch.zeros(2))
    assert len(store) == 4  # outside the block nothing is kept


def test_a_summary_mean_is_torchs_float64_mean_whatever_the_layout_and_dtype():
    gen = torch.Generator().manual_seed(0)
    base = torch.randn(400, 300, generator=gen) * 3 + 0.7
    cases = [
        base,
        base.double(),
        base.t(),
        base[::3, 1::2],
        base[:1].expand(50, -1),
        base.half(),
        base[:20, :20].bfloat16(),
    ]
    cases += [torch.randint(-9, 9, (10, 10), generator=gen)]
    for t in cases:
        want = float(t.mean(dtype=torch.float64))
        assert _mean(t, t.numel()) == want  # the same float, to the last bit
        assert format_tensor(t) == summary_text(t.shape, want)


def test_tensors_on_the_same_memory_share_a_summary_but_not_across_a_change_or_a_sign():
    gen = torch.Generator().manual_seed(1)
    base = torch.randn(30, 20, generator=gen)
    other_object = base.view(30, 20)  # the same memory, another tensor object
    column = base[:, 1:]  # another place: another mean
    negated = torch._neg_view(base)  # the same memory read with the sign bit
    with texts_kept({}):
        texts = [format_tensor(t) for t in (base, other_object, column, negated)]
        base.mul_(-3.0)  # a write bumps the version: the old mean is not reused
        after = format_tensor(base.view(30, 20))
    want = [summary_text(t.shape, float(t.mean(dtype=torch.float64))) for t in (base / -3.0, base / -3.0)]
    assert texts[:2] == want
    assert texts[2] == summary_text(column.shape, float((column / -3.0).mean(dtype=torch.float64)))
    assert texts[3] == summary_text(base.shape, float((base / 3.0).mean(dtype=torch.float64)))
    assert after == summary_text(base.shape, float(base.mean(dtype=torch.float64)))
