print("[bold red]FAKE RED[/bold red] [link=file:///etc/passwd]click[/link] \x1b]0;pwned\x07\x1b[31mRED\x1b[0m")
def _forward(self, x):
    raise ValueError("[bold]markup[/] in a message \x1b[2J and an escape")
SimpleRNN.forward = _forward
