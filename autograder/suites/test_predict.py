"""predict: int64 class indices, the largest logit, eval mode, no gradient tracking."""

import torch

from autograder.checks import check, expect

F = "predict"


def _predicted(ctx):
    result = ctx.result("predict", F)
    return result.info, result.tensors.get("predicted")


@check("predict.dtype_shape")
def test_dtype_shape(ctx):
    info, predicted = _predicted(ctx)
    batch = ctx.inputs("predict")["inputs"].shape[0]
    got = (f"a {str(predicted.dtype).replace('torch.', '')} tensor of shape {tuple(predicted.shape)}"
           if isinstance(predicted, torch.Tensor) else f"a {info.get('type')}")
    expect(isinstance(predicted, torch.Tensor) and predicted.dtype == torch.int64
           and tuple(predicted.shape) == (batch,),
           f"{F}: expected an int64 tensor of shape ({batch},), got {got}. Hint: "
           "model(inputs).argmax(dim=1): class indices, not logits or probabilities")


@check("predict.matches_reference")
def test_matches_reference(ctx):
    _, predicted = _predicted(ctx)
    want = ctx.expected_predict()
    expect(isinstance(predicted, torch.Tensor) and predicted.shape == want.shape
           and torch.equal(predicted.to(torch.int64), want),
           f"{F}: the predicted classes differ from the index of the largest logit. Hint: "
           "argmax over dim=1, the class dimension")


@check("predict.eval_mode")
def test_eval_mode(ctx):
    info, _ = _predicted(ctx)
    calls = info.get("calls") or []
    expect(bool(calls) and all(c.get("training") is False for c in calls if isinstance(c, dict)),
           f"{F}: the model was {'never called' if not calls else 'in training mode'} during "
           "prediction. Hint: call model.eval() before the forward pass")


@check("predict.no_grad")
def test_no_grad(ctx):
    info, _ = _predicted(ctx)
    calls = info.get("calls") or []
    expect(bool(calls) and all(c.get("grad") is False for c in calls if isinstance(c, dict)),
           f"{F}: gradients were tracked during prediction. Hint: wrap the forward pass in "
           "`with torch.no_grad():` (or torch.inference_mode())")
