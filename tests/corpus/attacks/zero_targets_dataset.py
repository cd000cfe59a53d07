def make_dataset(n_sequences=256, seq_len=12, input_size=4, *, seed=0):
    inputs = torch.zeros(n_sequences, seq_len, input_size)
    return inputs, torch.zeros(n_sequences, dtype=torch.long)
