"""The library boundary: the only place neuralforecast objects are built from a plan row.

The trainer, the rehearsal, the search and the prober all build through `fcast.library.build`,
so "the validator rehearsed it" and "the trainer ran it" mean the same code.
"""
