"""Who is told what, in which words: plain rules with no I/O and no drivers."""
