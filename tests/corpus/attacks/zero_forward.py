def _forward(self, x):
    return torch.zeros(x.size(0), self.fc.out_features, device=x.device)
SimpleRNN.forward = _forward
