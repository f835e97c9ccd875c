"""The fast engine: the reasoner TBox compiled into a classifier that runs in-process.

``compile.py`` turns ``reasoner_tbox()`` into a ``CompiledClassifier`` (plain data,
JSON, stamped with the TBox hash); ``classify.py`` classifies a case with it and
returns what the HermiT step returns; ``differential.py`` proves the two agree.
"""
