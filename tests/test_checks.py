"""helpers.checks: right answers pass, wrong ones fail with a useful message, nothing ever raises.

The "student" functions below are written independently here (plain loops), never copied from helpers.conv.
"""

import copy
import importlib
import math
import re
import types

import numpy as np
import pytest

from helpers import checks


def _needs(module, name):
    """Skip a test while a reference function another engineer writes is not there yet."""
    mod = importlib.import_module(f"helpers.{module}") if importlib.util.find_spec(f"helpers.{module}") else None
    if mod is None or not hasattr(mod, name):
        pytest.skip(f"helpers.{module}.{name} not written yet")


# ----------------------------------------------------------------------------------------------------------
# independent "student" solutions
# ----------------------------------------------------------------------------------------------------------


def good_output_size(n, f, s=1, p=0):
    return (n + 2 * p - f) // s + 1


def good_single_step(a_slice, W, b):
    total = 0.0
    for idx in np.ndindex(a_slice.shape):
        total += a_slice[idx] * W[idx]
    return total + b


def _pads(n, f, s, padding):
    if padding == "valid":
        return 0, 0
    if padding == "same":
        out = -(-n // s)
        total = max((out - 1) * s + f - n, 0)
        return total // 2, total - total // 2
    return padding, padding


def good_conv2d(x, kernels, bias, stride=1, padding="valid"):
    kh, kw, _, c_out = kernels.shape
    (t, b_), (le, r) = _pads(x.shape[0], kh, stride, padding), _pads(x.shape[1], kw, stride, padding)
    xp = np.zeros((x.shape[0] + t + b_, x.shape[1] + le + r, x.shape[2]))
    xp[t:t + x.shape[0], le:le + x.shape[1]] = x
    ho, wo = (xp.shape[0] - kh) // stride + 1, (xp.shape[1] - kw) // stride + 1
    out = np.zeros((ho, wo, c_out))
    for i in range(ho):
        for j in range(wo):
            for k in range(c_out):
                win = xp[i * stride:i * stride + kh, j * stride:j * stride + kw, :]
                out[i, j, k] = np.sum(win * kernels[..., k]) + bias[k]
    return out


def good_conv2d_no_options(x, kernels, bias):
    return good_conv2d(x, kernels, bias)


def good_pool(mode):
    def pool(x, f, s):
        ho, wo = (x.shape[0] - f) // s + 1, (x.shape[1] - f) // s + 1
        out = np.zeros((ho, wo, x.shape[2]))
        for i in range(ho):
            for j in range(wo):
                win = x[i * s:i * s + f, j * s:j * s + f]
                out[i, j] = win.max(axis=(0, 1)) if mode == "max" else win.mean(axis=(0, 1))
        return out
    return pool


# ----------------------------------------------------------------------------------------------------------
# check_value / check_prediction / check_shape / check_threshold
# ----------------------------------------------------------------------------------------------------------


def test_check_value_accepts_right_and_rejects_wrong(capsys):
    assert checks.check_value(456, 456, name="params") is True
    assert "✅" in capsys.readouterr().out
    assert checks.check_value(450, 456, name="params", hint="a bias per filter") is False
    out = capsys.readouterr().out
    assert "❌" in out and "456" not in out and "450" in out and "too low" in out and "a bias per filter" in out


def test_check_value_numbers_arrays_tuples_and_types(capsys):
    assert checks.check_value(0.1 + 0.2, 0.3) is True
    assert checks.check_value(np.int64(14_450_688), 3072 * 4704) is True
    assert checks.check_value((28, 28, 6), (28, 28, 6)) is True
    assert checks.check_value(np.eye(3), np.eye(3)) is True
    capsys.readouterr()
    assert checks.check_value("456", 456) is False
    assert "single number" in capsys.readouterr().out
    wrong = np.eye(3)
    wrong[1, 2] = 5
    assert checks.check_value(wrong, np.eye(3), name="kernel") is False
    out = capsys.readouterr().out
    assert "(1, 2)" in out and "1 of 9" in out
    assert checks.check_value(np.zeros((2, 3)), np.zeros((3, 2))) is False
    out = capsys.readouterr().out
    assert "(2, 3)" in out and "axis 0 is too small" in out and "axis 1 is too large" in out and "(3, 2)" not in out
    assert checks.check_value((28, 28), (28, 28, 6)) is False
    out = capsys.readouterr().out
    assert "2 values instead of 3" in out and "6" not in out
    assert checks.check_value(float("nan"), 1.0) is False
    assert checks.check_value("Valid", "valid") is True


def test_check_value_none_and_unconvertible(capsys):
    assert checks.check_value(None, 3, name="my_answer") is False
    out = capsys.readouterr().out
    assert "my_answer: not attempted yet" in out and "3" not in out.replace("⏳", "")
    assert checks.check_value(object(), np.zeros(3)) is False
    assert "❌" in capsys.readouterr().out


def test_check_prediction_without_a_guess_asks_and_reveals_nothing(capsys):
    for placeholder in (None, ...):
        assert checks.check_prediction(placeholder, 16, "output width", "18 - 3 + 1 = 16") is False
        out = capsys.readouterr().out
        assert "No prediction yet" in out and "16" not in out and "18 - 3" not in out


def test_check_prediction_reveals_on_request(capsys):
    assert checks.check_prediction(None, 16, "output width", "18 - 3 + 1 = 16", reveal=True) is False
    out = capsys.readouterr().out
    assert "16" in out and "18 - 3 + 1" in out


def test_check_prediction_right_and_wrong(capsys):
    assert checks.check_prediction(16, 16, "output width", "18 - 3 + 1 = 16") is True
    out = capsys.readouterr().out
    assert "✅" in out and "18 - 3 + 1" in out
    assert checks.check_prediction(18, 16, "output width") is False
    out = capsys.readouterr().out
    assert "❌" in out and "18" in out and "16" in out
    assert checks.check_prediction((2, 2), (2, 2), "output shape") is True
    assert checks.check_prediction([2, 3], (2, 2), "output shape") is False


def test_check_shape_from_tuple_array_and_none_dims(capsys):
    assert checks.check_shape((28, 28, 6), (28, 28, 6)) is True
    assert checks.check_shape(np.zeros((4, 4)), (4, 4)) is True
    assert checks.check_shape((None, 10), (None, 10)) is True
    assert checks.check_shape((32, 10), (None, 10)) is True
    capsys.readouterr()
    assert checks.check_shape((28, 28, 3), (28, 28, 6), name="maps") is False
    out = capsys.readouterr().out
    assert "(28, 28, 3)" in out and "axis 2 is too small" in out and "6" not in out
    assert checks.check_shape(np.zeros((4,)), (4, 4)) is False
    assert "1 dimension instead of 2" in capsys.readouterr().out
    assert checks.check_shape(None, (4, 4)) is False
    assert checks.check_shape("4x4", (4, 4)) is False


def test_check_threshold(capsys):
    assert checks.check_threshold(0.95, 0.9, name="accuracy") is True
    capsys.readouterr()
    assert checks.check_threshold(0.85, 0.9, name="accuracy") is False
    out = capsys.readouterr().out
    assert "0.85 is too low" in out and "0.9" not in out.replace("0.85", "")
    assert checks.check_threshold(0.2, 0.3, name="loss", higher_is_better=False) is True
    assert checks.check_threshold(np.array([0.95]), 0.9) is True
    assert checks.check_threshold(None, 0.9) is False
    assert checks.check_threshold("high", 0.9) is False


# ----------------------------------------------------------------------------------------------------------
# check_function
# ----------------------------------------------------------------------------------------------------------


def test_check_function_reports_failing_case_and_counts(capsys):
    assert checks.check_function(lambda a, b: a * b, lambda a, b: a * b, [(2, 3), {"a": 1, "b": 5}]) is True
    assert "2 test cases" in capsys.readouterr().out

    def area(a, b):
        return a + b

    assert checks.check_function(area, lambda a, b: a * b, [(2, 2), (2, 3), (4, 5)], hint="multiply") is False
    out = capsys.readouterr().out
    assert "area(2, 3) returned 5, too low" in out and "2 of 3" in out and "multiply" in out and "6" not in out


def test_check_function_catches_student_exceptions(capsys):
    def broken(x):
        raise ZeroDivisionError("oops")

    assert checks.check_function(broken, lambda x: x, [(1,), (2,)]) is False
    out = capsys.readouterr().out
    assert "broken(1) raised ZeroDivisionError: oops" in out


def test_check_function_none_not_callable_and_bad_reference(capsys):
    assert checks.check_function(None, abs, [(1,)]) is False
    assert "not attempted yet" in capsys.readouterr().out
    assert checks.check_function(3, abs, [(1,)]) is False
    assert "function" in capsys.readouterr().out

    def ref(x):
        raise RuntimeError("reference broke")

    assert checks.check_function(abs, ref, [(1,)]) is False
    assert "reference" in capsys.readouterr().out


def test_check_function_input_mutation_cannot_fool_the_check(capsys):
    def sneaky(x):
        x[:] = 0
        return x.sum()

    # the reference runs first on its own copy, the student's mutation must not change what was expected
    assert checks.check_function(sneaky, lambda x: x.sum(), [(np.ones(3),)]) is False
    assert "returned 0.0, too low" in capsys.readouterr().out


def test_check_function_returning_none(capsys):
    def forgot_return(x):
        x + 1

    assert checks.check_function(forgot_return, lambda x: x + 1, [(1,)]) is False
    assert "returned None" in capsys.readouterr().out


# ----------------------------------------------------------------------------------------------------------
# course exercises
# ----------------------------------------------------------------------------------------------------------


def test_check_output_size(capsys):
    _needs("shapes", "conv_output_size")
    assert checks.check_output_size(good_output_size) is True
    assert "✅" in capsys.readouterr().out

    def no_padding(n, f, s=1, p=0):
        return (n - f) // s + 1

    assert checks.check_output_size(no_padding) is False
    out = capsys.readouterr().out
    assert "(18, 3, 1, 1) returned 16, too low" in out and "expected" not in out and "Hint" in out

    def no_floor(n, f, s=1, p=0):
        return (n + 2 * p - f) / s + 1

    assert checks.check_output_size(no_floor) is False
    assert "(6, 3, 2, 0) returned 2.5, too high" in capsys.readouterr().out  # 2.5 instead of 2

    def float_but_right(n, f, s=1, p=0):
        return float(math.floor((n + 2 * p - f) / s) + 1)

    assert checks.check_output_size(float_but_right) is True
    assert "int" in capsys.readouterr().out

    def raises(n, f, s=1, p=0):
        raise NotImplementedError

    assert checks.check_output_size(raises) is False
    assert "NotImplementedError" in capsys.readouterr().out
    assert checks.check_output_size(None) is False


def test_check_conv_single_step(capsys):
    _needs("conv", "conv2d_single_step")
    assert checks.check_conv_single_step(good_single_step) is True

    def forgot_bias(a_slice, W, b):
        return np.sum(a_slice * W)

    assert checks.check_conv_single_step(forgot_bias) is False
    out = capsys.readouterr().out
    assert "❌" in out and "add b" in out

    def matmul_mistake(a_slice, W, b):
        return a_slice @ W + b

    assert checks.check_conv_single_step(matmul_mistake) is False


def test_check_conv2d(capsys):
    _needs("conv", "conv2d")
    assert checks.check_conv2d(good_conv2d) is True
    assert "✅" in capsys.readouterr().out
    assert checks.check_conv2d(good_conv2d_no_options) is True
    assert "stride 1 without padding" in capsys.readouterr().out

    def flipped(x, kernels, bias, stride=1, padding="valid"):
        return good_conv2d(x, kernels[::-1, ::-1], bias, stride, padding)

    assert checks.check_conv2d(flipped) is False
    out = capsys.readouterr().out
    assert "❌" in out and "flip" in out

    def wrong_stride(x, kernels, bias, stride=1, padding="valid"):
        return good_conv2d(x, kernels, bias, 1, padding)

    assert checks.check_conv2d(wrong_stride) is False
    assert "stride=2" in capsys.readouterr().out

    def crashes(x, kernels, bias):
        return x[100]

    assert checks.check_conv2d(crashes) is False
    assert "IndexError" in capsys.readouterr().out


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_check_pool(capsys, mode):
    _needs("conv", "max_pool2d")
    assert checks.check_pool(good_pool(mode), mode=mode) is True
    other = good_pool("avg" if mode == "max" else "max")
    assert checks.check_pool(other, mode=mode) is False
    assert "Hint" in capsys.readouterr().out
    assert checks.check_pool(good_pool(mode), mode="median") is False


def test_check_param_count(capsys):
    _needs("shapes", "conv_params")
    assert checks.check_param_count(lambda k, c, f: (k * k * c + 1) * f) is True

    def no_bias(k, c, f):
        return k * k * c * f

    assert checks.check_param_count(no_bias) is False
    out = capsys.readouterr().out
    assert "no_bias(5, 3, 6) returned 450, too low" in out and "456" not in out


# ----------------------------------------------------------------------------------------------------------
# check_model (a real small Keras model; TensorFlow imported inside the test)
# ----------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def test_check_model_with_keras(capsys, keras):
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3), keras.layers.Flatten(),
                              keras.layers.Dense(3)])
    expected = (3 * 3 * 1 + 1) * 2 + (6 * 6 * 2 + 1) * 3  # counted by hand: 20 + 219
    assert checks.check_model(model, expected_params=expected, expected_output_shape=(None, 3)) is True
    assert checks.check_model(model, expected_output_shape=(3,)) is True
    capsys.readouterr()
    assert checks.check_model(model, expected_params=expected + 1, name="tiny") is False
    out = capsys.readouterr().out
    assert "tiny has 239 parameters: too few" in out and "240" not in out
    assert checks.check_model(model, expected_params=expected - 1, name="tiny") is False
    out = capsys.readouterr().out
    assert "tiny has 239 parameters: too many" in out and "238" not in out
    assert checks.check_model(model, expected_output_shape=(None, 10)) is False
    out = capsys.readouterr().out
    assert "(None, 3)" in out and "axis 1 is too small" in out and "10" not in out


def test_check_model_with_a_reference_compares_layers_and_activations(capsys, keras):
    L = keras.layers

    def tiny(act=True, relu_layer=False, pool=L.MaxPooling2D):
        layers = [keras.Input((8, 8, 1)), L.Conv2D(2, 3, activation=None if relu_layer or not act else "relu")]
        layers += [L.ReLU()] if relu_layer else []
        layers += [pool(2), L.Flatten(), L.Dense(3, activation="softmax")]
        return keras.Sequential(layers)

    reference = tiny()
    assert checks.check_model(tiny(), reference=reference) is True
    assert checks.check_model(lambda: tiny(relu_layer=True), reference=reference, name="net") is True
    capsys.readouterr()
    # same parameter count and output shape, but no ReLU / the wrong pooling: rejected
    assert checks.check_model(tiny(act=False), reference=reference, name="net") is False
    out = capsys.readouterr().out
    assert "operation 2 is MaxPooling2D, not the right one" in out and "relu" not in out.lower()
    assert checks.check_model(tiny(pool=L.AveragePooling2D), reference=reference, name="net") is False
    out = capsys.readouterr().out
    assert "operation 3 is AveragePooling2D" in out and "MaxPooling2D" not in out

    def builder():
        raise NotImplementedError()

    assert checks.check_model(builder, reference=reference, name="net") is False
    assert "not attempted yet" in capsys.readouterr().out

    def broken():
        return keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(2, 30)])

    assert checks.check_model(broken, reference=reference, name="net") is False
    out = capsys.readouterr().out
    assert "building net raised" in out and "Traceback" not in out


def test_check_model_unbuilt_and_none(capsys, keras):
    unbuilt = keras.Sequential([keras.layers.Dense(3)])
    assert checks.check_model(unbuilt, expected_params=3, expected_output_shape=(None, 3)) is False
    out = capsys.readouterr().out
    assert "keras.Input" in out
    assert checks.check_model(None, expected_params=3) is False
    assert checks.check_model(object(), expected_params=3) is False


def test_messages_are_plain_deterministic_text(capsys):
    # thousands separators only for a lone number: a tuple of counts must not read as more numbers
    checks.check_value((150_528, 147), (150_528, 147), name="connections")
    assert "(150528, 147)" in capsys.readouterr().out
    checks.check_value(14_455_392, 14_455_392, name="weights")
    assert "14,455,392" in capsys.readouterr().out
    checks.check_prediction(None, np.float64(30.0), "value")
    assert "0x" not in capsys.readouterr().out


# ----------------------------------------------------------------------------------------------------------
# the student edition: placeholders, stubs, lambdas, estimates, autograding
# ----------------------------------------------------------------------------------------------------------


def stub_output_size(n, f, s=1, p=0):
    """A student edition stub, as the generator writes it."""
    # YOUR CODE HERE
    raise NotImplementedError()


@pytest.mark.parametrize("check, args", [
    (checks.check_output_size, (stub_output_size,)),
    (checks.check_output_size, (...,)),
    (checks.check_conv_single_step, (lambda a, w, b: (_ for _ in ()).throw(NotImplementedError()),)),
    (checks.check_conv2d, (...,)),
    (checks.check_pool, (None,)),
    (checks.check_param_count, (...,)),
    (checks.check_value, (..., 3)),
    (checks.check_shape, (..., (2, 3))),
    (checks.check_threshold, (..., 0.9)),
    (checks.check_function, (stub_output_size, good_output_size, [(5, 3)])),
    (checks.check_model, (..., 10)),
])
def test_every_check_says_not_attempted_for_placeholders_and_stubs(capsys, check, args):
    assert check(*args) is False
    out = capsys.readouterr().out
    assert "not attempted yet" in out and "❌" not in out and "Traceback" not in out
    assert "raised NotImplementedError" not in out


def test_a_lambda_answer_is_evaluated_inside_the_check(capsys):
    my_kernel = np.array([[1.0, 0, -1]] * 3)
    grid = np.zeros((4, 4))
    grid[:, :2] = 10
    expected = np.full((2, 2), 30.0)  # every window holds three 10s under the kernel's +1 column
    assert checks.check_value(lambda: _corr(grid, my_kernel), expected, name="output") is True
    assert "✅" in capsys.readouterr().out
    # an error in the student's expression is reported, never raised
    assert checks.check_value(lambda: _corr(grid, my_kernel[:2, :2, None, None]), expected, name="output") is False
    out = capsys.readouterr().out
    assert "❌" in out and "Error" in out


def _corr(x, k):
    kh, kw = k.shape
    return np.array([[np.sum(x[i:i + kh, j:j + kw] * k) for j in range(x.shape[1] - kw + 1)]
                     for i in range(x.shape[0] - kh + 1)])


MY_KERNEL = ...


def test_a_lambda_using_an_unanswered_global_is_not_attempted(capsys):
    assert checks.check_value(lambda: _corr(np.zeros((4, 4)), MY_KERNEL), np.zeros((2, 2))) is False
    out = capsys.readouterr().out
    assert "not attempted yet" in out and "MY_KERNEL" in out and "❌" not in out


def test_scalar_tensors_and_zero_d_arrays_count_as_numbers(capsys):
    class FakeTensor:  # what keras.ops.size returns: a scalar with .numpy()
        def numpy(self):
            return np.int32(61706)

    assert checks.check_value(FakeTensor(), 61706, name="parameters") is True
    assert checks.check_value(np.array(456), 456) is True
    assert checks.check_value(np.array(455), 456) is False


def test_estimates_accept_the_stated_tolerance_and_exact_questions_stay_exact(capsys):
    assert checks.check_prediction(14_000_000, 14_450_688, "weights", tolerance=0.1) is True
    assert checks.check_prediction(12_000_000, 14_450_688, "weights", tolerance=0.1) is False
    assert "too low" in capsys.readouterr().out
    assert checks.check_prediction(457, 456, "parameters") is False
    assert checks.check_prediction((4, 4, 1), (4, 4, 1), "shape") is True


def test_accuracy_given_as_a_percentage_is_rejected(capsys):
    assert checks.check_threshold(97.12, 0.95, name="accuracy", valid_range=(0, 1)) is False
    assert "not a percentage" in capsys.readouterr().out
    assert checks.check_threshold(0.9712, 0.95, name="accuracy", valid_range=(0, 1)) is True
    assert checks.check_threshold(lambda: 0.99, 0.95, name="accuracy") is True


def test_output_size_rejects_a_missing_floor_or_a_missing_max(capsys):
    assert checks.check_output_size(lambda n, f, s, p: (n + 2 * p - f) / s + 1) is False
    assert checks.check_output_size(lambda n, f, s, p: -(-(n + 2 * p - f) // s) + 1) is False


def test_under_autograding_a_failed_check_raises_assertion_error(capsys, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert checks.autograding() is True
    assert checks.check_value(3, 3) is True
    with pytest.raises(AssertionError):
        checks.check_value(4, 3)
    with pytest.raises(AssertionError):
        checks.check_output_size(stub_output_size)
    with pytest.raises(AssertionError):
        checks.check_param_count(lambda k, c, f: k * k * c * f)  # a nested check_function raises only once
    assert capsys.readouterr().out.count("❌") == 2
    # predictions are not graded: never raise
    assert checks.check_prediction(None, 3, "x") is False
    assert checks.check_prediction(2, 3, "x") is False
    monkeypatch.setenv("NBGRADER_EXECUTION", "")
    assert checks.check_value(4, 3) is False


# ----------------------------------------------------------------------------------------------------------
# a wrong answer is told what is wrong, never the right answer (under nbgrader that would give the points away)
# ----------------------------------------------------------------------------------------------------------


def _absent(text, out):
    """True if ``text`` does not occur in ``out`` as a whole number (so "12" is not found inside "-120" or "0.12")."""
    return re.search(rf"(?<![\d.,]){re.escape(text)}(?![\d]|[.,]\d)", out) is None


def _texts(value):
    """The ways a message could write ``value``: with and without thousands separators, short and long floats."""
    value = value.item() if isinstance(value, (np.ndarray, np.generic)) else value
    if isinstance(value, (bool, str)):
        return {str(value), repr(value)}
    if float(value).is_integer():
        n = int(value)
        return {str(n), f"{n:,}", f"{n:.1f}", f"{float(n):.6g}", f"{float(n):,.1f}"}
    return {repr(float(value)), f"{value:.4g}", f"{value:.6g}", f"{value:.10g}", f"{value:.4f}"}


@pytest.mark.parametrize("answer, expected, forbidden, said", [
    (0, 12, ["12"], ["got 0, too low"]),
    (13, 12, ["12"], ["got 13, too high"]),
    (14_000_000, 14_450_688, ["14,450,688", "14450688", "1.44507e+07", "14450688.0"], ["too low"]),
    (np.int64(14_450_689), 3072 * 4704, ["14,450,688", "14450688"], ["too high"]),
    (15_000_000.0, 14_450_688.0, ["14,450,688", "14450688", "14450688.0", "1.44507e+07"], ["too high"]),
    (0.5, 0.3, ["0.3", "0.30"], ["got 0.5, too high"]),
    (0.1, 0.1 + 0.2, ["0.3", "0.30000000000000004"], ["too low"]),
    (0.3000004, 0.3, ["0.3"], ["got 0.3000004, too high"]),  # shown with enough digits not to read as 0.3
    ((28, 30, 3), (28, 28, 6), ["(28, 28, 6)", "6"], ["item 1 is too high", "item 2 is too low"]),
    ([0.1, 0.25], [0.1, 0.35], ["0.35", "[0.1, 0.35]"], ["item 1 is too low"]),
    ((28, 28), (28, 28, 6), ["(28, 28, 6)", "6"], ["2 values instead of 3"]),
    (np.zeros((2, 3)), np.ones((3, 2)), ["(3, 2)"], ["shape (2, 3)", "axis 0 is too small", "axis 1 is too large"]),
    (np.zeros(4), np.zeros((4, 4)), ["(4, 4)"], ["1 dimension instead of 2"]),
    ("same", "valid", ["valid", "'valid'"], ["not the right answer"]),
    (False, True, ["True"], ["got False, not the right answer"]),
    ({"a": 1, "b": 2}, {"a": 1, "b": 7}, ["7"], ["key 'b' is too low"]),
])
def test_check_value_says_what_is_wrong_never_the_expected_value(capsys, answer, expected, forbidden, said):
    assert checks.check_value(answer, expected, name="answer", hint="think again") is False
    out = capsys.readouterr().out
    assert "❌" in out and "expected" not in out and "Hint: think again" in out
    for text in forbidden:
        assert _absent(text, out), (text, out)
    for text in said:
        assert text in out, (text, out)


def test_check_value_on_arrays_names_the_first_wrong_element_and_counts_them(capsys):
    expected = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 7.25], [-8.5, 9.0, 10.0]])
    answer = expected.copy()
    answer[1, 2], answer[2, 0] = 0.5, -1.0  # one too low, one too high
    assert checks.check_value(answer, expected, name="output") is False
    out = capsys.readouterr().out
    assert "2 of 9 values differ (1 too high, 1 too low)" in out
    assert "index (1, 2), where yours is 0.5 (too low)" in out
    assert _absent("7.25", out) and _absent("-8.5", out) and "expected" not in out
    # a large array: shown by shape; integer arrays that lost their fractions are told so
    big = np.arange(100.0).reshape(10, 10) / 4
    assert checks.check_value(big.astype(int), big, name="maps") is False
    out = capsys.readouterr().out
    assert "array of shape (10, 10)" in out and "index (0, 1), where yours is 0 (too low)" in out
    assert "integers" in out and _absent("0.25", out)


def test_check_value_rejects_wrong_types_without_the_answer(capsys):
    for answer, expected, said in [("456", 456, "not a single number (type str)"), (True, 0.3, "not a single number"),
                                   (3, "valid", "not text (type int)"), (1, True, "not True or False"),
                                   (5, (28, 28, 6), "not a tuple of 3 values (type int)"),
                                   (np.array(["a", "b"]), np.zeros(2), "not an array of real numbers"),
                                   ([1, [2, 3]], np.zeros(2), "not an array of numbers"),
                                   (3.0, np.zeros((2, 2)), "not an array (a single number)"),
                                   (float("nan"), 0.3, "not a number")]:
        assert checks.check_value(answer, expected) is False
        out = capsys.readouterr().out
        assert said in out, (said, out)
        assert "expected" not in out


def test_whole_numbers_are_compared_exactly():
    # a forgotten bias in a 15-million-parameter count is wrong (a relative tolerance of 1e-6 used to pass it)
    assert checks.check_value(15_227_687, 15_227_688) is False
    assert checks.check_value(np.int64(15_227_688), 15_227_688) is True
    assert checks.check_value(15_227_688.0, 15_227_688) is True
    assert checks.check_value(1001, 1000, rtol=0.01) is True  # an explicit tolerance is kept


def test_check_shape_names_the_wrong_axes_not_the_expected_shape(capsys):
    assert checks.check_shape((28, 30, 3), (28, 28, 6), name="maps", hint="count the filters") is False
    out = capsys.readouterr().out
    assert "got shape (28, 30, 3): axis 1 is too large, axis 2 is too small." in out and "Hint: count the filters" in out
    assert _absent("(28, 28, 6)", out) and _absent("6", out)
    assert checks.check_shape(np.zeros((28, 28)), (28, 28, 6)) is False
    out = capsys.readouterr().out
    assert "got shape (28, 28), 2 dimensions instead of 3" in out and _absent("6", out)
    assert checks.check_shape("4x4", (14, 14)) is False
    out = capsys.readouterr().out
    assert "not a shape" in out and _absent("14", out) and _absent("(14, 14)", out)


def test_check_function_shows_the_input_and_the_students_output_never_the_references(capsys):
    def halve(x):
        return x / 2

    assert checks.check_function(halve, lambda x: x / 3, [(9,), (0.9,)], name="third") is False
    out = capsys.readouterr().out
    assert "third(9) returned 4.5, too high" in out and _absent("3", out) and _absent("3.0", out)
    # arrays: the first wrong element (the student's value there), never the reference's
    ref = np.array([[1.25, 2.5], [3.75, 5.0]])
    assert checks.check_function(lambda x: x, lambda x: x * 1.25, [(np.array([[1.0, 2.0], [3.0, 4.0]]),)],
                                 name="scale") is False
    out = capsys.readouterr().out
    assert "returned [[1., 2.], [3., 4.]]: 4 of 4 values differ (4 too low)" in out
    assert "index (0, 0), where yours is 1.0 (too low)" in out
    assert all(_absent(t, out) for v in ref.ravel() for t in _texts(v))
    # tuples of results: which item is wrong
    assert checks.check_function(lambda x: (x, x), lambda x: (x, x + 0.75), [(2.0,)], name="pair") is False
    out = capsys.readouterr().out
    assert "pair(2.0) returned (2.0, 2.0): item 1 is too low" in out and _absent("2.75", out)


def test_check_threshold_says_too_low_or_too_high_without_the_target(capsys):
    assert checks.check_threshold(0.85, 0.935, name="accuracy") is False
    out = capsys.readouterr().out
    assert "accuracy = 0.85 is too low" in out and _absent("0.935", out)
    assert checks.check_threshold(2.5, 1.75, name="loss", higher_is_better=False) is False
    out = capsys.readouterr().out
    assert "loss = 2.5 is too high" in out and _absent("1.75", out)


class _FakeModel:
    """Anything with count_params() and outputs is a model for check_model."""

    def __init__(self, params, shape):
        self.params, self.outputs = params, [types.SimpleNamespace(shape=shape)]

    def count_params(self):
        return self.params


def test_check_model_says_too_many_or_too_few_and_which_axis(capsys):
    assert checks.check_model(_FakeModel(60_000, (None, 12)), expected_params=61_706,
                              expected_output_shape=(None, 10), name="net") is False
    out = capsys.readouterr().out
    assert "net has 60,000 parameters: too few" in out and "output shape is (None, 12): axis 1 is too large" in out
    assert all(_absent(t, out) for t in ("61,706", "61706", "(None, 10)", "10", "1,706", "-1,706"))
    assert checks.check_model(_FakeModel(62_000, (None, 4, 10)), expected_params=61_706,
                              expected_output_shape=(10,), name="net") is False
    out = capsys.readouterr().out
    assert "too many" in out and "3 dimensions instead of 2" in out and _absent("61,706", out) and _absent("294", out)


def _spy(monkeypatch, module, name):
    """Record every output of a reference function (helpers.<module>.<name>) while a check runs."""
    mod = importlib.import_module(f"helpers.{module}")
    real, calls = getattr(mod, name), []

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        calls.append((copy.deepcopy(args), dict(kwargs), out))
        return out

    monkeypatch.setattr(mod, name, spy)
    return calls


def _first_failure(calls, student, call=lambda f, a, k: f(*a, **k)):
    """The reference output of the first case the student gets wrong (computed here, not read from the message)."""
    for args, kwargs, want in calls:
        got = call(student, args, kwargs)
        if np.shape(got) != np.shape(want) or not np.allclose(got, want, rtol=1e-6, atol=1e-6):
            return got, want
    raise AssertionError("the student function was right on every case")


@pytest.mark.parametrize("module, name, check, student, call", [
    ("shapes", "conv_output_size", checks.check_output_size, lambda n, f, s=1, p=0: n - f,
     lambda fn, a, k: fn(a[0], a[1], k["stride"], k["padding"])),
    ("shapes", "conv_params", checks.check_param_count, lambda k, c, f: k * k * c * f, None),
    ("conv", "conv2d_single_step", checks.check_conv_single_step, lambda a, w, b: float(np.sum(a * w)), None),
])
def test_course_checks_of_numbers_never_print_the_reference_value(capsys, monkeypatch, module, name, check, student,
                                                                  call):
    _needs(module, name)
    calls = _spy(monkeypatch, module, name)
    assert check(student) is False
    out = capsys.readouterr().out
    got, want = _first_failure(calls, student, call or (lambda f, a, k: f(*a, **k)))
    assert "expected" not in out and ("too high" if got > want else "too low") in out
    for text in _texts(want):
        assert _absent(text, out), (text, out)


@pytest.mark.parametrize("name, check", [
    ("conv2d", checks.check_conv2d),
    ("max_pool2d", lambda fn: checks.check_pool(fn, mode="max")),
    ("avg_pool2d", lambda fn: checks.check_pool(fn, mode="avg")),
])
def test_course_checks_of_arrays_name_the_students_value_not_the_references(capsys, monkeypatch, name, check):
    _needs("conv", name)
    real = getattr(importlib.import_module("helpers.conv"), name)
    calls = _spy(monkeypatch, "conv", name)

    def off(*args, **kwargs):  # right but for its largest value: the check must not say what that should be
        out = np.array(real(*args, **kwargs), dtype=float)
        out[np.unravel_index(np.argmax(np.abs(out)), out.shape)] += 0.625
        return out

    assert check(off) is False
    out = capsys.readouterr().out
    got, want = _first_failure(calls, off)
    index = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(want)), want.shape))
    assert f"1 of {want.size} values differ; the first is at index {index}, where yours is" in out, out
    assert "(too high)" in out and "expected" not in out and want[index] != 0
    for text in _texts(want[index]):
        assert _absent(text, out), (text, out)


@pytest.mark.parametrize("answer", [object(), "text", [1, [2, 3]], {"a": 1}, np.zeros((2, 2)), (1, 2), float("inf"),
                                    np.array(["x"]), b"bytes", -1, None, ...])
@pytest.mark.parametrize("expected", [12, 0.3, (28, 28, 6), np.eye(2), "valid", True, {"a": 1}, [1, 2]])
def test_no_check_raises_on_odd_answers(capsys, answer, expected):
    assert checks.check_value(answer, expected) in (True, False)
    assert checks.check_function(lambda: answer, lambda: expected, [()]) in (True, False)
    out = capsys.readouterr().out
    assert "Traceback" not in out
