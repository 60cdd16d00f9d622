"""webstack's reference application: a backend and a frontend that keep the contract of docs/moving-in.md."""
