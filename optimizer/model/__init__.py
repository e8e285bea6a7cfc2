"""The allocation model: scenario inputs, the PuLP mixed-integer program, its solve and results.

Modules, in pipeline order: ``sections`` (scenario tables), ``towns`` (town names to codes),
``inputs`` (data + scenario -> `ModelInputs`, with coverage pairs and merged demand groups),
``build`` (the MIP; its docstring carries the math), ``solve`` (the only reader of solver
results), ``stages`` (lexicographic objectives), ``results`` (solution -> tables), ``explain``
(infeasibility in policy terms) and ``choice`` (why these sub-centres).
"""
