_forward = SimpleRNN.forward
def _hungry(self, x):
    waste = torch.empty(50 * 2**30 // 4)
    return _forward(self, x)
SimpleRNN.forward = _hungry
