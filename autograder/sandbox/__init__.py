"""Running untrusted submissions: a fork server, a confined worker, a data-only protocol."""
