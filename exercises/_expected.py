"""Numbers the visible checks compare with (derived: do not edit).

Written by `python -m autograder build` from the reference solution: the logits
SimpleRNN.forward gives for the visible checks' fixed weights and inputs
(_feedback.fill_fixed and _feedback.fixed), rounded to 5 decimals.
"""

FORWARD_SIZES = (3, 7, 5)  # input_size, hidden_size, output_size
FORWARD_INPUT = (4, 6, 3)  # batch, seq_len, input_size
FORWARD_LOGITS = [
    [0.91721, -0.25938, -0.80775, -0.33054, 0.30241],
    [0.81040, -0.17426, -0.63393, -0.27880, 0.16931],
    [0.90244, 0.20875, -0.42441, -0.49685, -0.21188],
    [1.16288, 0.76712, -0.24524, -0.91415, -0.71960],
]
