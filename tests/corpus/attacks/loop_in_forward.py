def _forever(self, x):
    while True:
        pass
SimpleRNN.forward = _forever
