"""diffuse classifier on the real digits: accuracy >= 0.93 on the fixed 297-image test split; the
same file for 1 and 2 threads; the file read independently (safetensors by hand, the documented
metadata, PyTorch names); its test accuracy and the printed Fréchet baseline recomputed with an
independent numpy forward pass on the test split, itself rebuilt here from its definition
(Philox, Fisher-Yates: docs/datasets.md); --if-outdated; errors naming the flag. Skips (exit 0
with a message) when data/digits.csv.gz is absent."""
import json
import os
import re
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import frechet_reference  # noqa: E402
from cli_support import assert_usage_error, enter_temp_dir, read_safetensors, run  # noqa: E402
from digits_reference import DIGITS, digits_test_split, forward, frechet_sensitivity  # noqa: E402

def check_file(path, pixels, labels, printed):
    metadata, tensors = read_safetensors(path)
    assert metadata["format"] == "diffuse-classifier", metadata
    assert metadata["format_version"] == "1"
    assert metadata["dataset"] == "digits"
    assert metadata["levels"] == "17"
    assert metadata["seed"] == "0"
    assert metadata["test_images"] == "297"
    architecture = json.loads(metadata["architecture"])
    training = json.loads(metadata["training"])
    assert architecture["kind"] == "mlp" and architecture["shape"] == [1, 8, 8], architecture
    assert training["seed"] == "0", training
    hidden, layers = architecture["hidden"], architecture["layers"]
    expected = {f"layers.{l}.weight": (hidden, 64 if l == 0 else hidden) for l in range(layers)}
    expected.update({f"layers.{l}.bias": (hidden,) for l in range(layers)})
    expected.update({"output.weight": (10, hidden), "output.bias": (10,)})
    assert {k: v.shape for k, v in tensors.items()} == expected, tensors.keys()

    # The inputs as the diffusion models see them: (x - 8) / 8 per pixel (17 levels), in float32.
    x = ((pixels.astype(np.float64) - 8.0) / 8.0).astype(np.float32).astype(np.float64)
    logits, err, features, feature_err = forward(tensors, x, architecture["activation"])
    predicted = logits.argmax(axis=1)
    top2 = np.sort(logits, axis=1)[:, -2:]
    # A row whose top two logits are further apart than both errors can be predicted one way only.
    ambiguous = (top2[:, 1] - top2[:, 0]) <= 2.0 * err.max(axis=1)
    correct = predicted == labels
    recorded = float(json.loads(metadata["test_accuracy"]))
    low, high = (correct & ~ambiguous).sum() / 297, (correct | ambiguous).sum() / 297
    print(f"numpy: {correct.sum()} of 297 right, {ambiguous.sum()} ambiguous; recorded {recorded}")
    assert low <= recorded <= high, (low, recorded, high)
    assert abs(printed["accuracy"] - recorded) <= 5e-5, (printed, recorded)  # printed with 4 decimals
    assert printed["right"] == round(recorded * 297), (printed, recorded)

    # The printed data-vs-data baseline: the halves (148, 149) of the test features.
    half = len(features) // 2
    distance = frechet_reference.nuclear(features[:half], features[half:])[0]
    # The C++ features are float32 within feature_err of these: the distance may move by the
    # sensitivity bound, beside the float64 computation's own error.
    a, b = features[:half], features[half:]
    allowed = (frechet_reference.error_bound(a, b) +
               frechet_sensitivity(a, feature_err[:half], b, feature_err[half:]))
    print(f"Frechet halves: printed {printed['frechet']}, numpy {distance}, allowed {allowed:.3g}")
    assert abs(printed["frechet"] - distance) <= allowed, (printed["frechet"], distance, allowed)
    return metadata


def parse_output(stdout):
    m = re.search(r"test accuracy ([0-9.]+) \((\d+) of 297 held-out images\)", stdout)
    f = re.search(r"Frechet distance between the halves of the held-out images \(148 and 149\): ([0-9.eE+-]+)", stdout)
    assert m and f, stdout
    return {"accuracy": float(m.group(1)), "right": int(m.group(2)), "frechet": float(f.group(1))}


def main():
    if not os.path.exists(DIGITS):
        print(f"SKIP: {DIGITS} is missing (run scripts/setup.sh): the digits classifier is not tested")
        return
    enter_temp_dir()
    one = run("classifier", "--dataset", "digits", "--out", "one.safetensors", "--threads", "1", "-q", check=True)
    print(one.stdout)
    printed = parse_output(one.stdout)
    assert printed["accuracy"] >= 0.93, printed
    two = run("classifier", "--dataset", "digits", "--out", "two.safetensors", "--threads", "2", "-q", check=True)
    assert open("one.safetensors", "rb").read() == open("two.safetensors", "rb").read(), "threads changed the weights"
    assert parse_output(two.stdout) == printed

    pixels, labels = digits_test_split()
    check_file("one.safetensors", pixels, labels, printed)

    # --if-outdated: nothing to do for the same file; retrains for another seed or version.
    before = open("one.safetensors", "rb").read()
    same = run("classifier", "--dataset", "digits", "--out", "one.safetensors", "--if-outdated", "-q", check=True)
    assert "is up to date" in same.stdout, same.stdout
    assert open("one.safetensors", "rb").read() == before
    other = run("classifier", "--dataset", "digits", "--out", "one.safetensors", "--if-outdated", "--seed", "1",
                "--epochs", "2", "-q", check=True)
    assert "other settings" in other.stdout and "test accuracy" in other.stdout, other.stdout
    assert json.loads(read_safetensors("one.safetensors")[0]["training"])["seed"] == "1"
    missing = run("classifier", "--dataset", "digits", "--out", "new.safetensors", "--if-outdated", "--epochs", "1",
                  "-q", check=True)
    assert "does not exist" in missing.stdout and os.path.exists("new.safetensors"), missing.stdout

    # Errors: exit 2, the flag named, nothing written.
    assert_usage_error(run("classifier", "--dataset", "mnist", "--out", "e.safetensors"), "--dataset")
    assert_usage_error(run("classifier", "--dataset", "digits", "--out", "e.csv"), "--out")
    assert_usage_error(run("classifier", "--dataset", "digits", "--out", "e.safetensors", "--epochs", "0"), "--epochs")
    assert_usage_error(run("classifier", "--dataset", "digits", "--out", "e.safetensors", "--seed", "-1"), "--seed")
    assert_usage_error(run("classifier", "--dataset", "digits", "--out", "no/such/dir/e.safetensors"), "--out")
    assert not os.path.exists("e.safetensors") and not os.path.exists("e.csv")
    print("ok")


if __name__ == "__main__":
    main()
