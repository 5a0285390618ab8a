"""Mixed precision judged by the user's own evaluation (docs/quantization.md).

    def top1(model):                      # higher is better
        return np.mean([model.run(x)["probs"].argmax() == y for x, y in data])

    so = paso.compile("model.onnx", quantize="mixed", calibration_data=samples,
                      accuracy_budget=paso.Evaluation(top1, max_drop=0.01))

paso-opt searches for the fastest mix under a budget it measures itself
(output SQNR or top-1 agreement on held-back samples). A callable can only
run here, in Python, so the package searches a ladder of SQNR budgets
instead: for each, paso-opt builds its fastest mix, the callable scores it,
and the loosest budget (the fastest mix) whose score is within `max_drop`
of the fp32 model's is kept. Tighter budgets never make a mix faster, and
the search assumes they never make it score worse either, so it bisects
the ladder: three or four mixed builds instead of eight. The fp32 model
itself ends the ladder and always passes.
"""
import os
import shutil
import tempfile

# SQNR budgets (dB), loosest first: below 15 dB int8 noise swamps most
# models; above 50 dB nothing but fp16/fp32 qualifies.
SQNR_LADDER = (10, 15, 20, 25, 30, 35, 40, 50)


class Evaluation:
    """A budget for --quantize=mixed given by `score(model) -> float` (a
    loaded paso.Model, higher is better) and the largest drop from the fp32
    model's score to accept."""

    def __init__(self, score, max_drop):
        if not callable(score):
            raise TypeError("Evaluation needs a callable score(model)")
        if not max_drop >= 0:
            raise ValueError(f"max_drop must be >= 0, got {max_drop}")
        self.score = score
        self.max_drop = float(max_drop)


def search(compile_one, load, output, evaluation):
    """Runs the ladder. `compile_one(budget, path)` builds the model at
    `path` (budget None: fp32); `load(path)` loads it. Returns (budget,
    score, fp32 score); the chosen build is at `output`."""
    with tempfile.TemporaryDirectory(prefix="paso-evaluation-") as scratch:
        def scored(budget):
            name = "fp32" if budget is None else f"sqnr{budget}"
            path = os.path.join(scratch, f"{name}.so")
            compile_one(budget, path)
            value = float(evaluation.score(load(path)))
            if value != value:
                raise ValueError(f"the evaluation scored the {name} model NaN")
            return path, value

        fp32_path, reference = scored(None)
        floor = reference - evaluation.max_drop
        # The loosest passing budget: bisect over indices, fp32 (index
        # len(SQNR_LADDER)) passing by definition.
        lo, hi = 0, len(SQNR_LADDER)
        best = (None, fp32_path, reference)
        while lo < hi:
            middle = (lo + hi) // 2
            path, value = scored(SQNR_LADDER[middle])
            if value >= floor:
                best = (SQNR_LADDER[middle], path, value)
                hi = middle
            else:
                lo = middle + 1
        budget, path, value = best
        shutil.copyfile(path, output)
        # A model.h is written beside each build; keep the chosen one's.
        header = os.path.splitext(path)[0] + ".h"
        if os.path.exists(header):
            shutil.copyfile(header, os.path.splitext(str(output))[0] + ".h")
        return budget, value, reference
