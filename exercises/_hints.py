"""The hints of the hidden checks, one per check id: the visible checks give the same ones.

Derived from autograder/judge/catalogue.py by `python -m autograder build`: do not edit.
"""

HINTS = {
    'construction.recurrent_layer': (
        'self.rnn is one recurrent layer of the plain (tanh) kind, from input_size to hidden_size '
        'features: look up torch.nn.RNN and its first two arguments'
    ),
    'construction.batch_first': (
        'inputs are laid out (batch, seq_len, input_size): look up the batch_first argument of '
        'torch.nn.RNN'
    ),
    'construction.readout_layer': (
        'self.fc maps one hidden state (hidden_size features) to output_size logits: look up '
        'torch.nn.Linear'
    ),
    'forward.shapes': (
        'return one row of output_size logits per sequence for any batch size and length, 1 '
        'included: take every size from x or the layers, never a fixed number, and keep the batch '
        'dimension'
    ),
    'forward.matches_reference': (
        'start from a zero hidden state (num_layers, batch, hidden_size), run self.rnn over the '
        "whole sequence and apply self.fc to the last time step's output; return raw logits "
        '(CrossEntropyLoss applies the softmax itself)'
    ),
    'forward.last_time_step': (
        "the RNN's output holds one hidden state per time step along dimension 1 (batch-first): "
        "classify with the last step's"
    ),
    'forward.batch_independence': (
        'each sequence is classified on its own: the batch is dimension 0 of x; never mix it with '
        'the time dimension'
    ),
    'device.forward_meta': (
        "create every new tensor in forward (the initial hidden state) on x's device: look up the "
        'device argument of torch.zeros, or Tensor.new_zeros'
    ),
    'device.train_meta': (
        'move the model, the inputs and the targets to the device argument (look up Module.to and '
        "Tensor.to); None means the device the model's parameters are already on"
    ),
    'training_step.returns_float': (
        "return the batch's loss from before the step as a plain Python number: look up "
        'Tensor.item'
    ),
    'training_step.step_taken': (
        'after backward the optimizer must take its step (look up Optimizer.step); never clear '
        'the gradients between backward and the step'
    ),
    'training_step.matches_reference': (
        'clear old gradients, forward, the loss from the criterion argument (whatever loss it is: '
        'never one made inside training_step) on the raw logits and the int64 targets, backward, '
        'clip when asked, step'
    ),
    'training_step.zero_grad': (
        'gradients add up across backward calls: clear those left from an earlier step first '
        '(look up Optimizer.zero_grad)'
    ),
    'training_step.clipping': (
        'clip the total gradient norm to max_grad_norm after backward and before the step, only '
        'when max_grad_norm is given: look up torch.nn.utils.clip_grad_norm_'
    ),
    'train.returns_losses': (
        'collect the number training_step returns, once per epoch, in a list, and return it'
    ),
    'train.trains_passed_model': (
        'train the very model object you were given: no copy, no new model'
    ),
    'train.matches_reference': (
        "one Adam optimizer over the model's parameters with the given learning rate, made once "
        'before the loop; CrossEntropyLoss; one full-batch training_step per epoch'
    ),
    'train.max_grad_norm': (
        'pass max_grad_norm through to training_step'
    ),
    'train.loss_falls': (
        'training should lower the loss: check the optimizer, its learning rate and the epochs'
    ),
    'device.forward_cuda': (
        "create every new tensor in forward on x's device"
    ),
    'device.train_cuda': (
        'move the model, the inputs and the targets to the device argument'
    ),
    'device.forward_mps': (
        "create every new tensor in forward on x's device"
    ),
    'device.train_mps': (
        'move the model, the inputs and the targets to the device argument'
    ),
    'predict.dtype_shape': (
        'return one class index per sequence, an int64 tensor of shape (batch,), not logits or '
        'probabilities: look up torch.argmax and its dim argument'
    ),
    'predict.matches_reference': (
        'the predicted class is the index of the largest logit along the class dimension '
        '(dimension 1)'
    ),
    'predict.eval_mode': (
        'put the model in evaluation mode before predicting: look up Module.eval'
    ),
    'predict.no_grad': (
        'predict without building a gradient graph: look up torch.no_grad'
    ),
    'manual.shapes': (
        "out stacks every time step's hidden state along dimension 1: (batch, seq_len, "
        'hidden_size); h_n is the last one with a leading layer dimension: (1, batch, '
        'hidden_size)'
    ),
    'manual.values': (
        'h_t = tanh(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh), one step at a time in a Python '
        'loop over t (torch.tanh and the @ operator, or nn.functional.linear), from h0 without '
        'its layer dimension, or from zeros of shape (batch, hidden_size) when h0 is None; '
        'nn.RNN, nn.RNNCell and torch.rnn_tanh run that loop for you, so they are not it'
    ),
    'manual.gradients': (
        'build out and h_n from the inputs with differentiable torch operations (torch.stack or '
        'torch.cat of the states; writing each state into a new tensor by indexing works too): no '
        '.detach(), .data, .item() or torch.tensor(...) of computed values, and no in-place '
        'change of a tensor a later step reads'
    ),
    'bptt.shape': (
        'return one norm per time step: a float tensor of shape (seq_len,) (torch.stack the '
        'norms)'
    ),
    'bptt.values': (
        "run the recurrence of rnn_forward_manual from zeros with model.rnn's weight_ih_l0, "
        'weight_hh_l0, bias_ih_l0 and bias_hh_l0, keeping every h_t of the loop; ask each to keep '
        'its gradient (Tensor.retain_grad, or torch.autograd.grad on the list of states); the '
        'loss is the mean cross-entropy of model.fc on the last h_t '
        "(nn.functional.cross_entropy); after one backward, entry t is the norm of h_t's gradient "
        'over batch and hidden units (Tensor.norm)'
    ),
    'factors.per_step': (
        'factor t is the norm reaching h_t divided by the norm reaching h_(t+1), from '
        'hidden_gradient_norms: below 1 the gradient shrinks going back one step, above 1 it '
        'grows; slice the norms twice, divide'
    ),
    'factors.bounds': (
        'the step back from h_(t+1) to h_t multiplies the gradient by the transposed Jacobian '
        'dh_(t+1)/dh_t = diag(1 - h_(t+1)^2) W_hh, one per sequence: scale the rows of W_hh by '
        'the slopes 1 - h_(t+1)^2 (broadcasting to (batch, hidden_size, hidden_size)); its '
        'spectral norm is torch.linalg.matrix_norm with ord=2; bound t is the largest over the '
        'batch'
    ),
}
